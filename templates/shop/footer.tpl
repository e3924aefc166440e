{{%AUTOESCAPE context="HTML"}}<footer class="bottom">
  <p>{{STORE_FOOTER}}</p>
  <nav aria-label="{{NAV_LANGUAGE}}"><a href="?lang=fr" hreflang="fr" lang="fr">Français</a> · <a href="?lang=en" hreflang="en" lang="en">English</a></nav>
</footer>
</body>
</html>
