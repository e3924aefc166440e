{{%AUTOESCAPE context="HTML"}}<article class="ticket card" id="ticket">
<h2><span class="ref">{{REFERENCE}}</span> <span id="ticket-subject">{{SUBJECT}}</span></h2>
<dl class="facts">
  <dt>{{COL_STATUS}}</dt><dd id="ticket-status"><span class="state state-{{STATUS_VALUE}}">{{STATUS}}</span></dd>
  <dt>{{COL_PRIORITY}}</dt><dd><span class="state state-{{PRIORITY_VALUE}}">{{PRIORITY}}</span></dd>
  <dt>{{COL_CATEGORY}}</dt><dd>{{CATEGORY}}</dd>
  <dt>{{COL_CREATED}}</dt><dd>{{CREATED}}</dd>
  <dt>{{COL_FIRST_RESPONSE_DUE}}</dt><dd>{{DUE}}</dd>
</dl>
<p class="description">{{DESCRIPTION:pre_escape}}</p>
<h3>{{TICKET_THREAD}}</h3>
<ol class="thread">
{{#RESPONSE}}<li class="response{{#INTERNAL}} internal{{/INTERNAL}}"><p class="meta">{{AUTHOR}} · {{DATE}}{{#INTERNAL}} · <strong>{{TICKET_INTERNAL_NOTE}}</strong>{{/INTERNAL}}</p><p class="body">{{BODY:pre_escape}}</p></li>
{{/RESPONSE}}
</ol>
<form class="card" method="post" action="/marketplace/act" id="reply-form">
  <input type="hidden" name="_csrf" value="{{CSRF}}">
  <input type="hidden" name="_route" value="POST /api/support-tickets/:id/responses">
  <input type="hidden" name="_id" value="{{ID}}">
  <input type="hidden" name="_back" value="{{BACK}}">
  <input type="hidden" name="_ok" value="FLASH_REPLY_SENT">
  <label for="reply-body">{{TICKET_REPLY}}</label>
  <textarea id="reply-body" name="body" rows="4" required maxlength="20000"></textarea>
  {{#STAFF}}<label class="check"><input type="hidden" name="internal" value="false"><input type="checkbox" name="internal" value="true" id="reply-internal"> {{TICKET_INTERNAL_NOTE}}</label>
  <label for="reply-minutes">{{TICKET_TIME_SPENT}}</label>
  <input id="reply-minutes" name="timeSpentMinutes" type="number" min="0" max="10000" inputmode="numeric">{{/STAFF}}
  <button type="submit">{{TICKET_SEND}}</button>
</form>
{{#STAFF}}<div class="row-forms">
<form class="card" method="post" action="/marketplace/act" id="assign-form">
  <input type="hidden" name="_csrf" value="{{CSRF}}">
  <input type="hidden" name="_route" value="PUT /api/support-tickets/:id/assign">
  <input type="hidden" name="_id" value="{{ID}}">
  <input type="hidden" name="_back" value="{{BACK}}">
  <input type="hidden" name="_ok" value="FLASH_TICKET_ASSIGNED">
  <label for="assignee">{{TICKET_ASSIGN_TO}}</label>
  <select id="assignee" name="assignee">
    <option value="">{{TICKET_NOBODY}}</option>
    {{#AGENT}}<option value="{{ID}}"{{#SELECTED}} selected{{/SELECTED}}>{{NAME}}</option>{{/AGENT}}
  </select>
  <button type="submit">{{TICKET_ASSIGN}}</button>
</form>
<form class="card" method="post" action="/marketplace/act" id="status-form">
  <input type="hidden" name="_csrf" value="{{CSRF}}">
  <input type="hidden" name="_route" value="PUT /api/support-tickets/:id">
  <input type="hidden" name="_id" value="{{ID}}">
  <input type="hidden" name="_back" value="{{BACK}}">
  <input type="hidden" name="_ok" value="FLASH_TICKET_MOVED">
  <label for="new-status">{{TICKET_MOVE_TO}}</label>
  <select id="new-status" name="status">
    {{#MOVE}}<option value="{{VALUE}}">{{LABEL}}</option>{{/MOVE}}
  </select>
  <button type="submit">{{TICKET_MOVE}}</button>
</form>
</div>{{/STAFF}}
</article>
