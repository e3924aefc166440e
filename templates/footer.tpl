{{%AUTOESCAPE context="HTML"}}<footer class="bottom">
  <nav aria-label="{{NAV_LANGUAGE}}"><a href="?{{QUERY_BUT_LANG}}lang=fr" hreflang="fr" lang="fr">Français</a> · <a href="?{{QUERY_BUT_LANG}}lang=en" hreflang="en" lang="en">English</a></nav>
</footer>
</body>
</html>
