{{%AUTOESCAPE context="HTML"}}<!DOCTYPE html>
<html lang="{{LANG}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{TITLE}} · {{SITE_NAME}}</title>
<link rel="stylesheet" href="/static/css/site.css">
</head>
<body>
<header class="top">
  <a class="brand" href="/marketplace/plans.html">{{SITE_NAME}}</a>
  <nav><a href="/marketplace/plans.html">{{NAV_PRICING}}</a> <a href="/marketplace/login.html">{{NAV_SIGN_IN}}</a></nav>
</header>
