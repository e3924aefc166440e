{{%AUTOESCAPE context="HTML"}}{{>HEADER}}
<main>
<h1>{{STORE_THANKS_TITLE}}</h1>
<p class="confirmation">{{THANKS}}</p>
<p><a href="/">{{STORE_BACK}}</a></p>
</main>
{{>FOOTER}}
