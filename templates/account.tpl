{{%AUTOESCAPE context="HTML"}}{{>HEADER}}
<main class="narrow" id="main">
<h1>{{TITLE}}</h1>
<dl class="card facts">
  <dt>{{ACCOUNT_SIGNED_IN_AS}}</dt><dd id="email">{{EMAIL}}</dd>
  <dt>{{ACCOUNT_ROLE}}</dt><dd id="role">{{ROLE}}</dd>
  {{#MERCHANT}}<dt>{{ACCOUNT_MERCHANT}}</dt><dd id="merchant">#{{ID}}</dd>{{/MERCHANT}}
</dl>
{{#SESSION}}<form method="post" action="/marketplace/logout">
  <input type="hidden" name="_csrf" value="{{CSRF}}">
  <button type="submit">{{ACCOUNT_SIGN_OUT}}</button>
</form>{{/SESSION}}
</main>
{{>FOOTER}}
