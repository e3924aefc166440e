{{%AUTOESCAPE context="HTML"}}{{>HEADER}}
<main class="wide" id="main">
<h1>{{TITLE}}</h1>
<nav class="tabs" aria-label="{{ADMIN_SECTIONS}}">
{{#TAB}}<a href="{{HERE}}view={{NAME}}"{{#CURRENT}} aria-current="page"{{/CURRENT}}>{{LABEL}}</a>
{{/TAB}}</nav>
{{#OVERVIEW}}<section aria-labelledby="kpis-title">
<h2 id="kpis-title" class="visually-hidden">{{ADMIN_KPIS}}</h2>
<ul class="kpis">
{{#CARD}}<li class="kpi" id="kpi-{{KEY}}"><span class="kpi-label">{{LABEL}}</span> <strong class="kpi-value">{{VALUE}}</strong></li>
{{/CARD}}{{#HEALTH_CARD}}<li class="kpi" id="kpi-backends"><span class="kpi-label">{{KPI_BACKENDS}}</span> <span class="kpi-health">{{#HEALTH}}<span class="state state-{{STATE}}">{{LABEL}} <strong>{{COUNT}}</strong></span> {{/HEALTH}}</span></li>{{/HEALTH_CARD}}
</ul>
</section>
<div class="charts">
{{#CHART}}{{>PART_CHART}}{{/CHART}}
</div>{{/OVERVIEW}}
{{#TABLE}}{{>PART_TABLE}}{{/TABLE}}
{{#TICKET}}<p><a href="{{HERE}}view=tickets">{{ACTION_BACK_TO_TICKETS}}</a></p>
{{>PART_TICKET}}{{/TICKET}}
{{#FORM_PLAN}}<section class="plan-form" aria-labelledby="plan-form-title">
<h2 id="plan-form-title">{{#CREATE}}{{PLAN_FORM_CREATE}}{{/CREATE}}{{#EDIT}}{{PLAN_FORM_EDIT}}{{/EDIT}}</h2>
<form class="card grid" method="post" action="/marketplace/act" id="plan-form">
  <input type="hidden" name="_csrf" value="{{CSRF}}">
  {{#CREATE}}<input type="hidden" name="_route" value="POST /api/subscription-plans">
  <input type="hidden" name="_ok" value="FLASH_PLAN_CREATED">{{/CREATE}}
  {{#EDIT}}<input type="hidden" name="_route" value="PUT /api/subscription-plans/:id">
  <input type="hidden" name="_id" value="{{ID}}">
  <input type="hidden" name="_ok" value="FLASH_PLAN_SAVED">{{/EDIT}}
  <input type="hidden" name="_back" value="{{BACK}}">
  <label for="plan-name">{{COL_NAME}}</label>
  <input id="plan-name" name="name" required maxlength="200" value="{{NAME}}">
  <label for="plan-slug">{{COL_SLUG}}</label>
  <input id="plan-slug" name="slug" required maxlength="100" pattern="[a-z0-9-]+" value="{{SLUG}}">
  <label for="plan-price">{{PLAN_PRICE_CENTS}}</label>
  <input id="plan-price" name="priceCents" type="number" min="0" required inputmode="numeric" value="{{PRICE_CENTS}}">
  <label for="plan-currency">{{PLAN_CURRENCY}}</label>
  <input id="plan-currency" name="currency" maxlength="3" value="{{CURRENCY}}">
  <label for="plan-interval">{{COL_INTERVAL}}</label>
  <select id="plan-interval" name="interval">{{#INTERVAL}}<option value="{{VALUE}}"{{#SELECTED}} selected{{/SELECTED}}>{{LABEL}}</option>{{/INTERVAL}}</select>
  <label for="plan-trial">{{COL_TRIAL_DAYS}}</label>
  <input id="plan-trial" name="trialDays" type="number" min="0" max="365" inputmode="numeric" value="{{TRIAL_DAYS}}">
  <label for="plan-order">{{COL_SORT_ORDER}}</label>
  <input id="plan-order" name="sortOrder" type="number" inputmode="numeric" value="{{SORT_ORDER}}">
  <label for="plan-description">{{PLAN_DESCRIPTION}}</label>
  <textarea id="plan-description" name="description" rows="2" maxlength="2000">{{DESCRIPTION:pre_escape}}</textarea>
  <label for="plan-features">{{PLAN_FEATURES}}</label>
  <textarea id="plan-features" name="features:lines" rows="3" aria-describedby="plan-features-hint">{{FEATURES:pre_escape}}</textarea>
  <p class="hint" id="plan-features-hint">{{PLAN_FEATURES_HINT}}</p>
  <label class="check"><input type="hidden" name="active" value="false"><input type="checkbox" name="active" value="true"{{#ACTIVE}} checked{{/ACTIVE}}> {{PLAN_ACTIVE}}</label>
  <button type="submit">{{#CREATE}}{{PLAN_CREATE}}{{/CREATE}}{{#EDIT}}{{PLAN_SAVE}}{{/EDIT}}</button>
</form>
</section>{{/FORM_PLAN}}
</main>
{{>FOOTER}}
