{{%AUTOESCAPE context="HTML"}}{{>HEADER}}
<main id="main">
<h1>{{TITLE}}</h1>
<p class="lead">{{PLANS_LEAD}}</p>
<section class="plans">
{{#PLAN}}
<article class="plan" id="plan-{{SLUG}}">
  <h2 class="plan-name">{{NAME}}</h2>
  <p class="price"><span class="amount">{{PRICE}}</span> <span class="currency">{{CURRENCY}}</span> / {{INTERVAL}}</p>
  {{#TRIAL}}<p class="trial">{{TEXT}}</p>{{/TRIAL}}
  <p class="description">{{DESCRIPTION}}</p>
  <ul class="features">
  {{#FEATURE}}<li>{{TEXT}}</li>
  {{/FEATURE}}
  </ul>
  <dl class="limits">
  {{#LIMIT}}<dt>{{LABEL}}</dt><dd>{{VALUE}}</dd>
  {{/LIMIT}}
  {{#CUSTOM_DOMAIN}}<dt>{{PLANS_CUSTOM_DOMAIN}}</dt><dd>{{PLANS_INCLUDED}}</dd>{{/CUSTOM_DOMAIN}}
  {{#SUPPORT}}<dt>{{PLANS_SUPPORT}}</dt><dd>{{LEVEL}}</dd>{{/SUPPORT}}
  </dl>
  <a class="start" href="/marketplace/signup.html?plan={{SLUG}}">{{PLANS_START}}</a>
</article>
{{/PLAN}}
{{#NO_PLANS}}<p class="empty">{{PLANS_NONE}}</p>{{/NO_PLANS}}
</section>
</main>
{{>FOOTER}}
