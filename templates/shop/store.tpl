{{%AUTOESCAPE context="HTML"}}{{>HEADER}}
<main>
<h1>{{STORE_PRODUCTS}}</h1>
{{#ERROR}}<p class="error" role="alert">{{MESSAGE}}</p>{{/ERROR}}
<form method="post" action="/order">
<input type="hidden" name="_csrf" value="{{CSRF}}">
<ul class="products">
{{#PRODUCT}}<li class="product" id="product-{{SLUG}}">
  <h2 class="name">{{NAME}}</h2>
  <p class="price">{{PRICE}}</p>
  <p class="description">{{DESCRIPTION}}</p>
  {{#IN_STOCK}}<p class="stock">{{STOCK_TEXT}}</p>
  <label for="q{{ID}}">{{STORE_QUANTITY}}</label>
  <input id="q{{ID}}" name="q{{ID}}" type="number" min="0" max="{{MAX}}" value="{{QUANTITY}}">{{/IN_STOCK}}
  {{#SOLD_OUT}}<p class="stock sold-out">{{STORE_SOLD_OUT}}</p>{{/SOLD_OUT}}
</li>
{{/PRODUCT}}
</ul>
{{#EMPTY}}<p class="empty">{{STORE_EMPTY}}</p>{{/EMPTY}}
<fieldset>
  <legend>{{STORE_YOUR_DETAILS}}</legend>
  <label for="customerName">{{STORE_NAME}}</label>
  <input id="customerName" name="customerName" autocomplete="name" required value="{{CUSTOMER_NAME}}">
  <label for="customerEmail">{{STORE_EMAIL}}</label>
  <input id="customerEmail" name="customerEmail" type="email" autocomplete="email" required value="{{CUSTOMER_EMAIL}}">
</fieldset>
<button type="submit">{{STORE_ORDER}}</button>
</form>
</main>
{{>FOOTER}}
