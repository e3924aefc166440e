{{%AUTOESCAPE context="HTML"}}<section class="table-view" aria-labelledby="caption-{{VIEW}}">
<form class="search" method="get" action="{{PAGE}}" role="search">
  <input type="hidden" name="view" value="{{VIEW}}">
  {{#FOR_MERCHANT}}<input type="hidden" name="merchant" value="{{ID}}">{{/FOR_MERCHANT}}
  {{#SEARCH}}<label for="q-{{VIEW}}">{{TABLE_SEARCH}}</label>
  <input id="q-{{VIEW}}" name="q" type="search" maxlength="200" value="{{Q}}">{{/SEARCH}}
  {{#FILTER}}<label for="status-{{VIEW}}">{{TABLE_FILTER_STATUS}}</label>
  <select id="status-{{VIEW}}" name="status">
    <option value="">{{TABLE_ALL}}</option>
    {{#OPTION}}<option value="{{VALUE}}"{{#SELECTED}} selected{{/SELECTED}}>{{LABEL}}</option>{{/OPTION}}
  </select>{{/FILTER}}
  <button type="submit">{{TABLE_APPLY}}</button>
</form>
<div class="scroll">
<table class="data" id="table-{{VIEW}}">
<caption id="caption-{{VIEW}}">{{CAPTION}} <span class="total">{{TOTAL}}</span></caption>
<thead><tr>{{#HEAD}}<th scope="col" aria-sort="{{ARIA_SORT}}"><a href="{{URL}}">{{LABEL}}</a></th>{{/HEAD}}<th scope="col"><span class="visually-hidden">{{TABLE_ACTIONS}}</span></th></tr></thead>
<tbody>
{{#ROW}}<tr data-id="{{ID}}">{{#CELL}}<td>{{#STATE}}<span class="state state-{{VALUE}}">{{/STATE}}{{TEXT}}{{#STATE}}</span>{{/STATE}}</td>{{/CELL}}<td class="actions">
{{#ACTIONS_MERCHANT}}<a href="/marketplace/merchant-dashboard.html?merchant={{ID}}">{{ACTION_OPEN_DASHBOARD}}</a>{{/ACTIONS_MERCHANT}}
{{#ACTIONS_INVOICE}}<a href="/api/invoices/{{ID}}/pdf" type="application/pdf" download>{{ACTION_PDF}}</a>{{/ACTIONS_INVOICE}}
{{#ACTIONS_TICKET}}<a href="{{HERE}}view=ticket&amp;id={{ID}}">{{ACTION_OPEN}}</a>{{/ACTIONS_TICKET}}
{{#ACTIONS_BACKEND}}<a href="/marketplace/backends/{{ID}}/deployment.html">{{ACTION_DEPLOYMENT_LOG}}</a>
<form method="post" action="/marketplace/act" class="inline">
  <input type="hidden" name="_csrf" value="{{CSRF}}">
  <input type="hidden" name="_route" value="POST /api/merchant-backends/:id/restart">
  <input type="hidden" name="_id" value="{{ID}}">
  <input type="hidden" name="_back" value="{{BACK}}">
  <input type="hidden" name="_ok" value="FLASH_BACKEND_RESTARTING">
  <button type="submit" class="small">{{ACTION_RESTART}}</button>
</form>{{/ACTIONS_BACKEND}}
{{#ACTIONS_PLAN}}<a href="{{HERE}}view=plan&amp;id={{ID}}">{{ACTION_EDIT}}</a>
<form method="post" action="/marketplace/act" class="inline">
  <input type="hidden" name="_csrf" value="{{CSRF}}">
  <input type="hidden" name="_route" value="PUT /api/subscription-plans/:id">
  <input type="hidden" name="_id" value="{{ID}}">
  <input type="hidden" name="_back" value="{{BACK}}">
  <input type="hidden" name="_ok" value="FLASH_PLAN_DEACTIVATED">
  <input type="hidden" name="active" value="false">
  <button type="submit" class="small secondary">{{ACTION_DEACTIVATE}}</button>
</form>{{/ACTIONS_PLAN}}
</td></tr>
{{/ROW}}
</tbody>
</table>
</div>
{{#EMPTY}}<p class="empty">{{TABLE_EMPTY}}</p>{{/EMPTY}}
{{#PAGES}}<nav class="pages" aria-label="{{TABLE_PAGES}}">{{#PREV}}<a rel="prev" href="{{URL}}">{{TABLE_PREV}}</a>{{/PREV}} <span>{{TEXT}}</span> {{#NEXT}}<a rel="next" href="{{URL}}">{{TABLE_NEXT}}</a>{{/NEXT}}</nav>{{/PAGES}}
</section>
