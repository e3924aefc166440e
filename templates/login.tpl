{{%AUTOESCAPE context="HTML"}}{{>HEADER}}
<main class="narrow" id="main">
<h1>{{TITLE}}</h1>
{{#SIGNED_IN}}<p class="notice">{{LOGIN_SIGNED_IN_AS}} {{EMAIL}}. <a href="/marketplace/account.html">{{NAV_ACCOUNT}}</a></p>{{/SIGNED_IN}}
{{#ERROR}}<p class="error" role="alert">{{MESSAGE}}</p>{{/ERROR}}
<form class="card" method="post" action="/marketplace/login">
  <input type="hidden" name="_csrf" value="{{CSRF}}">
  <label for="identifier">{{LOGIN_EMAIL}}</label>
  <input id="identifier" name="identifier" type="email" autocomplete="username" required value="{{IDENTIFIER}}">
  <label for="password">{{LOGIN_PASSWORD}}</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  <button type="submit">{{LOGIN_SUBMIT}}</button>
</form>
</main>
{{>FOOTER}}
