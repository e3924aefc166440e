{{%AUTOESCAPE context="HTML"}}{{>HEADER}}
<main class="wide" id="main">
<h1>{{TITLE}}</h1>
<nav class="tabs" aria-label="{{ADMIN_SECTIONS}}">
{{#TAB}}<a href="{{HERE}}view={{NAME}}"{{#CURRENT}} aria-current="page"{{/CURRENT}}>{{LABEL}}</a>
{{/TAB}}</nav>
{{#OVERVIEW}}<section aria-labelledby="shop-title" id="shop-stats">
<h2 id="shop-title">{{MERCHANT_SHOP}}</h2>
{{#SHOP_UNAVAILABLE}}<p class="notice" role="status" id="shop-unavailable">{{MERCHANT_SHOP_UNAVAILABLE}}</p>{{/SHOP_UNAVAILABLE}}
{{#SHOP}}<ul class="kpis">
<li class="kpi" id="kpi-orders"><span class="kpi-label">{{MERCHANT_ORDERS}}</span> <strong class="kpi-value">{{ORDERS}}</strong></li>
<li class="kpi" id="kpi-revenue"><span class="kpi-label">{{MERCHANT_REVENUE}}</span> <strong class="kpi-value">{{REVENUE}}</strong></li>
</ul>
<div class="charts">
{{#CHART}}{{>PART_CHART}}{{/CHART}}
<table class="data" id="top-products">
<caption>{{MERCHANT_TOP_PRODUCTS}}</caption>
<thead><tr><th scope="col">{{COL_NAME}}</th><th scope="col">{{COL_QUANTITY}}</th><th scope="col">{{COL_REVENUE}}</th></tr></thead>
<tbody>{{#PRODUCT}}<tr><td>{{NAME}}</td><td>{{QUANTITY}}</td><td>{{REVENUE}}</td></tr>{{/PRODUCT}}</tbody>
</table>
</div>{{/SHOP}}
</section>
<div class="row-forms">
<section class="card" aria-labelledby="sub-title" id="subscription">
<h2 id="sub-title">{{MERCHANT_SUBSCRIPTION}}</h2>
{{#NO_SUBSCRIPTION}}<p>{{MERCHANT_NO_SUBSCRIPTION}} <a href="/marketplace/plans.html">{{MERCHANT_CHOOSE_PLAN}}</a></p>{{/NO_SUBSCRIPTION}}
{{#SUBSCRIPTION}}<dl class="facts">
  <dt>{{COL_PLAN}}</dt><dd id="sub-plan">{{PLAN}} · {{PRICE}} / {{INTERVAL}}</dd>
  <dt>{{COL_STATUS}}</dt><dd id="sub-status"><span class="state state-{{STATE}}">{{STATUS}}</span></dd>
  {{#RENEWS}}<dt>{{MERCHANT_RENEWS}}</dt><dd id="sub-renews">{{DATE}}</dd>{{/RENEWS}}
  {{#ENDS}}<dt>{{MERCHANT_ENDS}}</dt><dd id="sub-ends">{{DATE}}</dd>{{/ENDS}}
</dl>
{{#ENDS}}<form method="post" action="/marketplace/act" id="reactivate-form">
  <input type="hidden" name="_csrf" value="{{CSRF}}">
  <input type="hidden" name="_route" value="PUT /api/subscriptions/:id/reactivate">
  <input type="hidden" name="_id" value="{{ID}}">
  <input type="hidden" name="_back" value="{{BACK}}">
  <input type="hidden" name="_ok" value="FLASH_SUBSCRIPTION_REACTIVATED">
  <button type="submit">{{MERCHANT_REACTIVATE}}</button>
</form>{{/ENDS}}
{{#CHANGE}}<form method="post" action="/marketplace/act" id="change-plan-form">
  <input type="hidden" name="_csrf" value="{{CSRF}}">
  <input type="hidden" name="_route" value="PUT /api/subscriptions/:id">
  <input type="hidden" name="_id" value="{{ID}}">
  <input type="hidden" name="_back" value="{{BACK}}">
  <input type="hidden" name="_ok" value="FLASH_PLAN_CHANGED">
  <label for="new-plan">{{MERCHANT_CHANGE_PLAN}}</label>
  <select id="new-plan" name="plan">{{#PLAN}}<option value="{{ID}}">{{NAME}} · {{PRICE}}</option>{{/PLAN}}</select>
  <button type="submit">{{MERCHANT_CHANGE}}</button>
</form>{{/CHANGE}}
{{#CANCEL}}<details><summary>{{MERCHANT_CANCEL_TITLE}}</summary>
<form method="post" action="/marketplace/act" id="cancel-form">
  <input type="hidden" name="_csrf" value="{{CSRF}}">
  <input type="hidden" name="_route" value="PUT /api/subscriptions/:id/cancel">
  <input type="hidden" name="_id" value="{{ID}}">
  <input type="hidden" name="_back" value="{{BACK}}">
  <input type="hidden" name="_ok" value="FLASH_SUBSCRIPTION_CANCELLED">
  <label for="cancel-reason">{{MERCHANT_CANCEL_REASON}}</label>
  <textarea id="cancel-reason" name="reason" rows="2" maxlength="500"></textarea>
  <label class="check"><input type="hidden" name="immediately:bool" value="false"><input type="checkbox" name="immediately:bool" value="true" id="cancel-now"> {{MERCHANT_CANCEL_NOW}}</label>
  <button type="submit" class="secondary">{{MERCHANT_CANCEL}}</button>
</form></details>{{/CANCEL}}{{/SUBSCRIPTION}}
</section>
<section class="card" aria-labelledby="backends-title" id="backends">
<h2 id="backends-title">{{MERCHANT_SHOPS}}</h2>
{{#NO_BACKEND}}<p class="empty">{{MERCHANT_NO_BACKEND}}</p>{{/NO_BACKEND}}
{{#BACKEND}}<div class="backend" id="backend-{{ID}}">
<p><strong>{{SUBDOMAIN}}</strong> · <a href="{{URL}}">{{MERCHANT_VISIT}}</a></p>
<dl class="facts">
  <dt>{{COL_STATUS}}</dt><dd class="backend-status"><span class="state state-{{STATE}}">{{STATUS}}</span></dd>
  <dt>{{COL_HEALTH}}</dt><dd><span class="state state-{{HEALTH_STATE}}">{{HEALTH}}</span></dd>
  <dt>{{COL_LATENCY}}</dt><dd>{{LATENCY}}</dd>
  <dt>{{COL_UPTIME}}</dt><dd>{{UPTIME}}</dd>
</dl>
<a href="/marketplace/backends/{{ID}}/deployment.html">{{ACTION_DEPLOYMENT_LOG}}</a>
<form method="post" action="/marketplace/act" class="inline">
  <input type="hidden" name="_csrf" value="{{CSRF}}">
  <input type="hidden" name="_route" value="POST /api/merchant-backends/:id/restart">
  <input type="hidden" name="_id" value="{{ID}}">
  <input type="hidden" name="_back" value="{{BACK}}">
  <input type="hidden" name="_ok" value="FLASH_BACKEND_RESTARTING">
  <button type="submit" class="small">{{ACTION_RESTART}}</button>
</form>
</div>{{/BACKEND}}
</section>
</div>
<div class="row-forms">
<section class="card" aria-labelledby="tickets-title">
<h2 id="tickets-title">{{MERCHANT_TICKETS}}</h2>
<p id="open-tickets">{{MERCHANT_OPEN_TICKETS}} <strong>{{OPEN_TICKETS}}</strong></p>
<ul class="plain">{{#RECENT_TICKET}}<li><a href="{{HERE}}view=ticket&amp;id={{ID}}">{{REFERENCE}}</a> {{SUBJECT}} <span class="state state-{{STATE}}">{{STATUS}}</span> <small>{{UPDATED}}</small></li>
{{/RECENT_TICKET}}</ul>
<a href="{{HERE}}view=tickets">{{MERCHANT_ALL_TICKETS}}</a>
</section>
<section class="card" aria-labelledby="invoices-title">
<h2 id="invoices-title">{{MERCHANT_INVOICES}}</h2>
<ul class="plain">{{#RECENT_INVOICE}}<li>{{NUMBER}} · {{TOTAL}} · <span class="state state-{{STATE}}">{{STATUS}}</span> · {{ISSUED}} <a href="/api/invoices/{{ID}}/pdf" type="application/pdf" download>{{ACTION_PDF}}</a></li>
{{/RECENT_INVOICE}}</ul>
<a href="{{HERE}}view=invoices">{{MERCHANT_ALL_INVOICES}}</a>
</section>
</div>{{/OVERVIEW}}
{{#TABLE}}{{>PART_TABLE}}{{/TABLE}}
{{#NEW_TICKET}}<section aria-labelledby="new-ticket-title">
<h2 id="new-ticket-title">{{MERCHANT_NEW_TICKET}}</h2>
<form class="card grid" method="post" action="/marketplace/act" id="new-ticket-form">
  <input type="hidden" name="_csrf" value="{{CSRF}}">
  <input type="hidden" name="_route" value="POST /api/support-tickets">
  <input type="hidden" name="_back" value="{{BACK}}">
  <input type="hidden" name="_ok" value="FLASH_TICKET_OPENED">
  {{#FOR_MERCHANT}}<input type="hidden" name="merchant" value="{{ID}}">{{/FOR_MERCHANT}}
  <label for="ticket-subject-input">{{COL_SUBJECT}}</label>
  <input id="ticket-subject-input" name="subject" required maxlength="200">
  <label for="ticket-description">{{MERCHANT_TICKET_DESCRIPTION}}</label>
  <textarea id="ticket-description" name="description" rows="4" required maxlength="20000"></textarea>
  <label for="ticket-category">{{COL_CATEGORY}}</label>
  <select id="ticket-category" name="category">{{#CATEGORY}}<option value="{{VALUE}}"{{#SELECTED}} selected{{/SELECTED}}>{{LABEL}}</option>{{/CATEGORY}}</select>
  <label for="ticket-priority">{{COL_PRIORITY}}</label>
  <select id="ticket-priority" name="priority">{{#PRIORITY}}<option value="{{VALUE}}"{{#SELECTED}} selected{{/SELECTED}}>{{LABEL}}</option>{{/PRIORITY}}</select>
  <button type="submit">{{MERCHANT_TICKET_OPEN}}</button>
</form>
</section>{{/NEW_TICKET}}
{{#TICKET}}<p><a href="{{HERE}}view=tickets">{{ACTION_BACK_TO_TICKETS}}</a></p>
{{>PART_TICKET}}{{/TICKET}}
</main>
{{>FOOTER}}
