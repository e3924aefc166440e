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
{{#SIGNED_IN}}<p class="notice">You are signed in as {{EMAIL}}. <a href="/marketplace/account.html">Your account</a></p>{{/SIGNED_IN}}
{{#ERROR}}<p class="error" role="alert">{{MESSAGE}}</p>{{/ERROR}}
<form class="card" method="post" action="/marketplace/login">
  <input type="hidden" name="_csrf" value="{{CSRF}}">
  <label for="identifier">E-mail</label>
  <input id="identifier" name="identifier" type="email" autocomplete="username" required value="{{IDENTIFIER}}">
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  <button type="submit">Sign in</button>
</form>
</main>
</body>
</html>
