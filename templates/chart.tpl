{{%AUTOESCAPE context="HTML"}}<figure class="chart" id="chart-{{ID}}">
<figcaption>{{TITLE}}</figcaption>
<svg viewBox="0 0 {{W}} {{H}}" width="100%" role="img" aria-labelledby="chart-{{ID}}-title" xmlns="http://www.w3.org/2000/svg">
<title id="chart-{{ID}}-title">{{TITLE}}</title>
<line class="axis" x1="{{LEFT}}" y1="{{BASE}}" x2="{{RIGHT}}" y2="{{BASE}}"/>
<line class="axis" x1="{{LEFT}}" y1="{{TOP}}" x2="{{LEFT}}" y2="{{BASE}}"/>
<text class="max" x="{{LEFT}}" y="{{TOP}}" dx="-6" dy="4" text-anchor="end">{{MAX}}</text>
<text class="max" x="{{LEFT}}" y="{{BASE}}" dx="-6" text-anchor="end">0</text>
{{#BAR}}<rect class="s{{SERIES}}" x="{{X}}" y="{{Y}}" width="{{BW}}" height="{{BH}}"><title>{{LABEL}} · {{SERIES_NAME}} : {{VALUE}}</title></rect>
{{/BAR}}{{#TICK}}<text class="tick" x="{{X}}" y="{{Y}}" text-anchor="middle">{{LABEL}}</text>
{{/TICK}}</svg>
{{#NO_DATA}}<p class="empty">{{CHART_NO_DATA}}</p>{{/NO_DATA}}
{{#LEGEND}}<span class="legend"><span class="swatch s{{SERIES}}" aria-hidden="true"></span>{{NAME}}</span>{{/LEGEND}}
</figure>
