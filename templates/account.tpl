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
<main class="narrow">
<h1>{{TITLE}}</h1>
<dl class="card facts">
  <dt>Signed in as</dt><dd id="email">{{EMAIL}}</dd>
  <dt>Role</dt><dd id="role">{{ROLE}}</dd>
  {{#MERCHANT}}<dt>Merchant</dt><dd id="merchant">#{{ID}}</dd>{{/MERCHANT}}
</dl>
{{#SESSION}}<form method="post" action="/marketplace/logout">
  <input type="hidden" name="_csrf" value="{{CSRF}}">
  <button type="submit">Sign out</button>
</form>{{/SESSION}}
</main>
</body>
</html>
