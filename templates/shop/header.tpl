{{%AUTOESCAPE context="HTML"}}<!DOCTYPE html>
<html lang="{{LANG}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{TITLE}} · {{SHOP}}</title>
<link rel="stylesheet" href="/static/css/shop.css">
</head>
<body>
<header class="top"><a href="/">{{SHOP}}</a></header>
