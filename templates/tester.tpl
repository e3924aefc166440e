{{%AUTOESCAPE context="HTML"}}{{>HEADER}}
<main class="wide" id="main">
<h1>{{TITLE}}</h1>
<p class="lead">{{TESTER_LEAD}}</p>
<div class="tester">
<form class="card grid" method="post" action="/marketplace/test-platform-api" id="tester-form">
  <input type="hidden" name="_csrf" value="{{CSRF}}">
  <label for="route">{{TESTER_ROUTE}}</label>
  <select id="route" name="route" required>
  {{#ROUTE}}<option value="{{VALUE}}"{{#SELECTED}} selected{{/SELECTED}} title="{{ROLES}}">{{VALUE}} · {{SUMMARY}}</option>
  {{/ROUTE}}</select>
  <label for="id">{{TESTER_ID}}</label>
  <input id="id" name="id" value="{{ID}}" maxlength="40" aria-describedby="id-hint" autocapitalize="none" spellcheck="false">
  <p class="hint" id="id-hint">{{TESTER_ID_HINT}}</p>
  <label for="query">{{TESTER_QUERY}}</label>
  <input id="query" name="query" value="{{QUERY}}" maxlength="2000" aria-describedby="query-hint" autocapitalize="none" spellcheck="false">
  <p class="hint" id="query-hint">{{TESTER_QUERY_HINT}}</p>
  <label for="body">{{TESTER_BODY}}</label>
  <textarea id="body" name="body" rows="8" class="code" spellcheck="false">{{BODY:pre_escape}}</textarea>
  <fieldset>
  <legend>{{TESTER_AUTH}}</legend>
  <label class="check"><input type="radio" name="use" value="session"{{#USE_SESSION}} checked{{/USE_SESSION}}> {{TESTER_SESSION}}</label>
  <label class="check"><input type="radio" name="use" value="token"{{#USE_TOKEN}} checked{{/USE_TOKEN}}> {{TESTER_TOKEN}}</label>
  <label for="token" class="visually-hidden">{{TESTER_TOKEN}}</label>
  <input id="token" name="token" type="password" autocomplete="off" maxlength="2048">
  </fieldset>
  <button type="submit">{{TESTER_SEND}}</button>
</form>
{{#ANSWER}}<section class="card answer" aria-labelledby="answer-title" id="answer">
<h2 id="answer-title">{{TESTER_ANSWER}}</h2>
<p><code id="answer-request">{{REQUEST}}</code></p>
<p id="answer-status" class="status-{{STATUS}}"><strong>{{STATUS}}</strong> {{REASON}}</p>
<h3>{{TESTER_HEADERS}}</h3>
<pre id="answer-headers">{{HEADERS:pre_escape}}</pre>
<h3>{{TESTER_BODY}}</h3>
<pre id="answer-body">{{ANSWER_BODY:pre_escape}}</pre>
</section>{{/ANSWER}}
</div>
</main>
{{>FOOTER}}
