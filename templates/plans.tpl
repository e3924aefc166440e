{{%AUTOESCAPE context="HTML"}}<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{TITLE}} · Marketplace</title>
<link rel="stylesheet" href="/static/css/site.css">
</head>
<body>
<header class="top">
  <a class="brand" href="/marketplace/plans.html">Marketplace</a>
  <nav><a href="/marketplace/plans.html">Pricing</a></nav>
</header>
<main>
<h1>{{TITLE}}</h1>
<p class="lead">Pick a plan, start with a free trial, change or cancel at any time.</p>
<section class="plans">
{{#PLAN}}
<article class="plan" id="plan-{{SLUG}}">
  <h2 class="plan-name">{{NAME}}</h2>
  <p class="price"><span class="amount">{{PRICE}}</span> <span class="currency">{{CURRENCY}}</span> / {{INTERVAL}}</p>
  {{#TRIAL}}<p class="trial">{{DAYS}}-day free trial</p>{{/TRIAL}}
  <p class="description">{{DESCRIPTION}}</p>
  <ul class="features">
  {{#FEATURE}}<li>{{TEXT}}</li>
  {{/FEATURE}}
  </ul>
  <dl class="limits">
  {{#LIMIT}}<dt>{{LABEL}}</dt><dd>{{VALUE}}</dd>
  {{/LIMIT}}
  {{#CUSTOM_DOMAIN}}<dt>Custom domain</dt><dd>included</dd>{{/CUSTOM_DOMAIN}}
  {{#SUPPORT}}<dt>Support</dt><dd>{{LEVEL}}</dd>{{/SUPPORT}}
  </dl>
</article>
{{/PLAN}}
{{#NO_PLANS}}<p class="empty">No plan is available at the moment.</p>{{/NO_PLANS}}
</section>
</main>
</body>
</html>
