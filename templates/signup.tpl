{{%AUTOESCAPE context="HTML"}}{{>HEADER}}
<main class="narrow" id="main">
<h1>{{TITLE}}</h1>
<p class="lead">{{SIGNUP_LEAD}}</p>
{{#ERROR}}<p class="error" role="alert">{{MESSAGE}}</p>{{/ERROR}}
<form class="card" method="post" action="/marketplace/signup" novalidate>
  <input type="hidden" name="_csrf" value="{{CSRF}}">
  <fieldset>
  <legend>{{SIGNUP_OWNER}}</legend>
  <label for="owner_name">{{SIGNUP_OWNER_NAME}}</label>
  <input id="owner_name" name="owner_name" autocomplete="name" maxlength="200" value="{{OWNER_NAME}}"{{#OWNER_NAME_INVALID}} aria-invalid="true" aria-describedby="owner_name-error"{{/OWNER_NAME_INVALID}}>
  {{#OWNER_NAME_ERROR}}<p class="field-error" id="owner_name-error">{{MESSAGE}}</p>{{/OWNER_NAME_ERROR}}
  <label for="email">{{SIGNUP_EMAIL}}</label>
  <input id="email" name="email" type="email" autocomplete="email" required maxlength="254" value="{{EMAIL}}"{{#EMAIL_INVALID}} aria-invalid="true" aria-describedby="email-error"{{/EMAIL_INVALID}}>
  {{#EMAIL_ERROR}}<p class="field-error" id="email-error">{{MESSAGE}}</p>{{/EMAIL_ERROR}}
  <label for="password">{{SIGNUP_PASSWORD}}</label>
  <input id="password" name="password" type="password" autocomplete="new-password" required minlength="10" maxlength="256" aria-describedby="password-hint{{#PASSWORD_INVALID}} password-error{{/PASSWORD_INVALID}}"{{#PASSWORD_INVALID}} aria-invalid="true"{{/PASSWORD_INVALID}}>
  <p class="hint" id="password-hint">{{SIGNUP_PASSWORD_HINT}}</p>
  {{#PASSWORD_ERROR}}<p class="field-error" id="password-error">{{MESSAGE}}</p>{{/PASSWORD_ERROR}}
  </fieldset>
  <fieldset>
  <legend>{{SIGNUP_SHOP}}</legend>
  <label for="shop_name">{{SIGNUP_SHOP_NAME}}</label>
  <input id="shop_name" name="shop_name" required maxlength="200" value="{{SHOP_NAME}}"{{#SHOP_NAME_INVALID}} aria-invalid="true" aria-describedby="shop_name-error"{{/SHOP_NAME_INVALID}}>
  {{#SHOP_NAME_ERROR}}<p class="field-error" id="shop_name-error">{{MESSAGE}}</p>{{/SHOP_NAME_ERROR}}
  <label for="subdomain">{{SIGNUP_SUBDOMAIN}}</label>
  <input id="subdomain" name="subdomain" required minlength="3" maxlength="63" autocapitalize="none" spellcheck="false" value="{{SUBDOMAIN}}" aria-describedby="subdomain-hint{{#SUBDOMAIN_INVALID}} subdomain-error{{/SUBDOMAIN_INVALID}}"{{#SUBDOMAIN_INVALID}} aria-invalid="true"{{/SUBDOMAIN_INVALID}}>
  <p class="hint" id="subdomain-hint">{{SIGNUP_SUBDOMAIN_HINT}}</p>
  {{#SUBDOMAIN_ERROR}}<p class="field-error" id="subdomain-error">{{MESSAGE}}</p>{{/SUBDOMAIN_ERROR}}
  <label for="company">{{SIGNUP_COMPANY}}</label>
  <input id="company" name="company" autocomplete="organization" maxlength="200" value="{{COMPANY}}"{{#COMPANY_INVALID}} aria-invalid="true" aria-describedby="company-error"{{/COMPANY_INVALID}}>
  {{#COMPANY_ERROR}}<p class="field-error" id="company-error">{{MESSAGE}}</p>{{/COMPANY_ERROR}}
  <label for="country">{{SIGNUP_COUNTRY}}</label>
  <input id="country" name="country" required minlength="2" maxlength="2" autocomplete="country" value="{{COUNTRY}}" aria-describedby="country-hint{{#COUNTRY_INVALID}} country-error{{/COUNTRY_INVALID}}"{{#COUNTRY_INVALID}} aria-invalid="true"{{/COUNTRY_INVALID}}>
  <p class="hint" id="country-hint">{{SIGNUP_COUNTRY_HINT}}</p>
  {{#COUNTRY_ERROR}}<p class="field-error" id="country-error">{{MESSAGE}}</p>{{/COUNTRY_ERROR}}
  <label for="vat">{{SIGNUP_VAT}}</label>
  <input id="vat" name="vat" maxlength="16" value="{{VAT}}"{{#VAT_INVALID}} aria-invalid="true" aria-describedby="vat-error"{{/VAT_INVALID}}>
  {{#VAT_ERROR}}<p class="field-error" id="vat-error">{{MESSAGE}}</p>{{/VAT_ERROR}}
  <label for="address">{{SIGNUP_ADDRESS}}</label>
  <textarea id="address" name="address" rows="3" maxlength="500" autocomplete="street-address"{{#ADDRESS_INVALID}} aria-invalid="true" aria-describedby="address-error"{{/ADDRESS_INVALID}}>{{ADDRESS}}</textarea>
  {{#ADDRESS_ERROR}}<p class="field-error" id="address-error">{{MESSAGE}}</p>{{/ADDRESS_ERROR}}
  </fieldset>
  <label for="plan">{{SIGNUP_PLAN}}</label>
  <select id="plan" name="plan"{{#PLAN_INVALID}} aria-invalid="true" aria-describedby="plan-error"{{/PLAN_INVALID}}>
  {{#PLAN}}<option value="{{ID}}"{{#SELECTED}} selected{{/SELECTED}}>{{NAME}} ({{PRICE}})</option>
  {{/PLAN}}
  </select>
  {{#PLAN_ERROR}}<p class="field-error" id="plan-error">{{MESSAGE}}</p>{{/PLAN_ERROR}}
  <button type="submit">{{SIGNUP_SUBMIT}}</button>
</form>
<p><a href="/marketplace/login.html">{{SIGNUP_HAVE_ACCOUNT}}</a></p>
</main>
{{>FOOTER}}
