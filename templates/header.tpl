{{%AUTOESCAPE context="HTML"}}<!DOCTYPE html>
<html lang="{{LANG}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{TITLE}} · {{SITE_NAME}}</title>
<link rel="stylesheet" href="/static/css/site.css">
</head>
<body>
<a class="skip" href="#main">{{NAV_SKIP}}</a>
<header class="top">
  <a class="brand" href="/marketplace/plans.html">{{SITE_NAME}}</a>
  <nav aria-label="{{NAV_MAIN}}"><a href="/marketplace/plans.html">{{NAV_PRICING}}</a>{{#SIGNED_OUT}} <a href="/marketplace/login.html">{{NAV_SIGN_IN}}</a>{{/SIGNED_OUT}}{{#SIGNED_IN}}{{#STAFF}} <a href="/marketplace/platform-admin.html">{{NAV_DASHBOARD}}</a> <a href="/marketplace/test-platform-api.html">{{NAV_API_TESTER}}</a>{{/STAFF}}{{#MERCHANT}} <a href="/marketplace/merchant-dashboard.html">{{NAV_DASHBOARD}}</a>{{/MERCHANT}} <a href="/marketplace/account.html" title="{{EMAIL}}">{{NAV_ACCOUNT}}</a>
  <form class="inline" method="post" action="/marketplace/logout"><input type="hidden" name="_csrf" value="{{CSRF}}"><button type="submit" class="link">{{NAV_SIGN_OUT}}</button></form>{{/SIGNED_IN}}</nav>
</header>
{{#NOTICE_OK}}<p class="flash notice" role="status" id="flash">{{MESSAGE}}</p>{{/NOTICE_OK}}{{#NOTICE_ERROR}}<p class="flash error" role="alert" id="flash">{{MESSAGE}}</p>{{/NOTICE_ERROR}}
