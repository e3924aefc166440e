{{%AUTOESCAPE context="HTML"}}{{>HEADER}}
<main class="narrow" id="main">
<h1>{{TITLE}}</h1>
<dl class="facts">
  <dt>{{DEPLOY_SHOP}}</dt><dd>{{SUBDOMAIN}}</dd>
  <dt>{{DEPLOY_STATE}}</dt><dd id="state" data-state="{{STATE}}">{{STATUS}}</dd>
</dl>
{{#ONGOING}}<p class="notice" role="status">{{DEPLOY_WAIT}} <a href="">{{DEPLOY_REFRESH}}</a></p>{{/ONGOING}}
{{#LIVE}}<p class="notice" role="status">{{DEPLOY_LIVE}} <a id="shop-url" href="{{URL}}">{{URL}}</a></p>{{/LIVE}}
{{#FAILED}}<p class="error" role="alert">{{DEPLOY_FAILED}} {{MESSAGE}}</p>{{/FAILED}}
<table class="steps">
<caption>{{DEPLOY_STEPS}}</caption>
<thead><tr><th scope="col">{{DEPLOY_COL_STEP}}</th><th scope="col">{{DEPLOY_COL_OUTCOME}}</th><th scope="col">{{DEPLOY_COL_DURATION}}</th><th scope="col">{{DEPLOY_COL_MESSAGE}}</th></tr></thead>
<tbody>
{{#STEP}}<tr><td>{{NAME}}</td><td>{{OUTCOME}}</td><td>{{DURATION}}</td><td>{{MESSAGE}}</td></tr>
{{/STEP}}
</tbody>
</table>
</main>
{{>FOOTER}}
