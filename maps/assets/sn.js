/* sanitation-routes: what the pages do in the browser (plain Leaflet 1.9 and three plugins:
 * markercluster, featuregroup.subgroup, polylineoffset). The page's data comes from Python
 * (maps/_page.py) as one object; every human text comes in data.text. */
(function () {
  'use strict';
  var SN = window.SN = {};
  var PHONE = '(max-width: 700px)';

  SN.phone = function () {
    return window.matchMedia ? window.matchMedia(PHONE).matches : window.innerWidth <= 700;
  };

  /* [lat0, lon0, dlat, dlon, ...] in 1e-5 degrees -> LatLngs */
  SN.decode = function (a) {
    var out = new Array(a.length / 2), lat = 0, lon = 0;
    for (var i = 0, k = 0; i < a.length; i += 2, k++) {
      lat += a[i]; lon += a[i + 1];
      out[k] = L.latLng(lat / 1e5, lon / 1e5);
    }
    return out;
  };

  /* lines chained by encode_chain: each starts from where the one before ended */
  SN.decodeChain = function (lines) {
    var lat = 0, lon = 0;
    return lines.map(function (a) {
      var out = new Array(a.length / 2);
      for (var i = 0, k = 0; i < a.length; i += 2, k++) {
        lat += a[i]; lon += a[i + 1];
        out[k] = L.latLng(lat / 1e5, lon / 1e5);
      }
      return out;
    });
  };

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
  }

  function esc(s) {
    return String(s).replace(/[&<>"]/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'}[c];
    });
  }

  /* GCJ-02 from WGS-84 (the published forward formula; zero outside China), for the
   * located position on GCJ-02 tiles. Python shifts everything else before it is drawn. */
  SN.gcj02 = function (lat, lon) {
    if (lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271) return [lat, lon];
    var PI = Math.PI, A = 6378245.0, EE = 0.00669342162296594323;
    var x = lon - 105.0, y = lat - 35.0;
    var dLat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    dLat += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    dLat += (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0;
    dLat += (160.0 * Math.sin(y / 12.0 * PI) + 320 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0;
    var dLon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    dLon += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    dLon += (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0;
    dLon += (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0;
    var rad = lat / 180.0 * PI, magic = Math.sin(rad);
    magic = 1 - EE * magic * magic;
    var sq = Math.sqrt(magic);
    dLat = (dLat * 180.0) / ((A * (1 - EE)) / (magic * sq) * PI);
    dLon = (dLon * 180.0) / (A / sq * Math.cos(rad) * PI);
    return [lat + dLat, lon + dLon];
  };

  /* ---- markers ---------------------------------------------------------------------- */
  var ICON_H = {stop: 22, site: 24, miss: 18, later: 22};
  var ICON_CLASS = {stop: 'sn-num', site: 'sn-site', miss: 'sn-miss', later: 'sn-later'};

  function badge(kind, label, colour) {
    var h = ICON_H[kind] || 22;
    var per = kind === 'site' ? 8.5 : 7, pad = kind === 'site' ? 14 : 10;  // bold 13 / 12 px
    var w = kind === 'miss' ? h : Math.max(h, pad + per * String(label).length);
    var style = kind === 'miss' ? '' : ' style="background:' + colour + '"';
    var html = '<div class="' + ICON_CLASS[kind] + '"' + style + '>' + esc(label) + '</div>';
    return L.divIcon({html: html, className: 'sn-icon', iconSize: [w, h], iconAnchor: [w / 2, h / 2]});
  }

  SN.clusterIcon = function (text) {
    return function (cluster) {
      var ms = cluster.getAllChildMarkers(), labels = [], badges = [], colours = [];
      ms.sort(function (a, b) {  // 1, 2, 10 and U1, U2 in their order
        return String(a.options.snLabel).localeCompare(String(b.options.snLabel), undefined,
                                                       {numeric: true});
      });
      ms.forEach(function (m) {
        labels.push(m.options.snLabel);
        badges.push(m.options.snText);
        if (colours.indexOf(m.options.snColour) < 0) colours.push(m.options.snColour);
      });
      var n = ms.length, inner = badges.join('\u00b7');
      // the badges' own labels when they are short and of one colour, else the count
      if (n > 3 || colours.length > 1 || inner.length > 5) inner = String(n);
      var bg = colours[0];
      if (colours.length > 1) {
        var step = 100 / colours.length;
        bg = 'conic-gradient(' + colours.map(function (c, i) {
          return c + ' ' + (i * step).toFixed(1) + '% ' + ((i + 1) * step).toFixed(1) + '%';
        }).join(',') + ')';
      }
      var h = 26, w = Math.max(h, 16 + 7 * inner.length);
      var title = fill(text.cluster, {n: n, list: labels.join(', ')});
      var html = '<div class="sn-cl" style="background:' + bg + '" title="' + esc(title) +
        '" data-n="' + n + '" data-labels="' + esc(labels.join('|')) + '"><span>' +
        esc(inner) + '</span></div>';
      return L.divIcon({html: html, className: 'sn-icon sn-cluster', iconSize: [w, h]});
    };
  };

  function addMarkers(layers, rows) {
    var byGroup = {};
    rows.forEach(function (r) {
      // [lat, lon, group, kind, label, colour, tooltip, popup, clusterLabel]
      var m = L.marker([r[0], r[1]], {icon: badge(r[3], r[4], r[5]), snLabel: r[8] || r[4],
                                      snText: r[4], snColour: r[5], keyboard: false,
                                      riseOnHover: true});
      if (r[6]) m.bindTooltip(r[6], {direction: 'top', offset: [0, -10]});
      if (r[7]) m.bindPopup(r[7], {maxWidth: 300});
      (byGroup[r[2]] = byGroup[r[2]] || []).push(m);
    });
    Object.keys(byGroup).forEach(function (g) {
      var layer = layers.groups[g];
      byGroup[g].forEach(function (m) { layer.addLayer(m); });
    });
  }

  /* ---- lines ------------------------------------------------------------------------ */
  function addRoutes(layers, specs, maxBand) {
    var lines = [];
    specs.forEach(function (s) {
      var layer = layers.groups[s.g];
      var latlngs = SN.decodeChain(s.runs.map(function (r) { return r[0]; }));
      // runs drawn alike (lane offset, dash, tooltip) become the parts of one polyline:
      // a city's overview has thousands of runs but a few hundred such lines
      var alike = {};
      s.runs.forEach(function (r, i) {
        // [encoded (chained), lane, dashed, tooltip index, lanes on this stretch]
        // side by side, one line width apart, the whole bundle at most maxBand pixels wide
        var spacing = Math.min(s.weight + 1, maxBand / (r[4] || 1));
        var offset = Math.round((r[1] + 0.5) * spacing * 4) / 4;
        var key = offset + '|' + r[2] + '|' + r[3];
        (alike[key] = alike[key] || {offset: offset, dashed: r[2], tip: r[3], parts: []})
          .parts.push(latlngs[i]);
      });
      Object.keys(alike).forEach(function (key) {
        var a = alike[key];
        var colour = a.dashed && s.dashColour ? s.dashColour : s.colour;
        var line = L.polyline(a.parts, {
          color: colour, weight: s.weight, opacity: 0.9, offset: a.offset,
          dashArray: a.dashed ? s.dash : null, lineCap: a.dashed ? 'butt' : 'round',
          smoothFactor: 1.0
        });
        if (a.tip >= 0) line.bindTooltip(s.tips[a.tip], {sticky: true});
        layer.addLayer(line);
        lines.push({line: line, layer: layer, colour: colour});
      });
    });
    return lines;
  }

  /* ---- declutter: markercluster keeps stops apart, but cluster centres drift; move
   * any marker that still covers another by more than a sliver a few pixels aside ---- */
  var NUDGE_MAX = 14;  // pixels

  function declutter(map) {
    var icons = map.getPane('markerPane').querySelectorAll('.leaflet-marker-icon');
    var boxes = [];
    for (var i = 0; i < icons.length; i++) {
      var el = icons[i];
      if (el._snMargin) {  // undo the last nudge before measuring again
        el.style.marginLeft = el._snMargin[0];
        el.style.marginTop = el._snMargin[1];
        el._snMargin = null;
      }
    }
    for (i = 0; i < icons.length; i++) {
      var r = icons[i].getBoundingClientRect();
      if (r.width > 0) boxes.push({el: icons[i], x: r.left, y: r.top, w: r.width, h: r.height,
                                   dx: 0, dy: 0});
    }
    for (var a = 1; a < boxes.length; a++) {
      for (var b = 0; b < a; b++) {
        var p = boxes[a], q = boxes[b];
        var ox = Math.min(p.x + p.dx + p.w, q.x + q.dx + q.w) - Math.max(p.x + p.dx, q.x + q.dx);
        var oy = Math.min(p.y + p.dy + p.h, q.y + q.dy + q.h) - Math.max(p.y + p.dy, q.y + q.dy);
        if (ox <= 0 || oy <= 0 || ox * oy < 0.1 * Math.min(p.w * p.h, q.w * q.h)) continue;
        // push p out along the shorter axis, away from q's centre
        if (ox < oy) p.dx += (p.x + p.w / 2 >= q.x + q.w / 2 ? 1 : -1) * Math.min(ox, NUDGE_MAX);
        else p.dy += (p.y + p.h / 2 >= q.y + q.h / 2 ? 1 : -1) * Math.min(oy, NUDGE_MAX);
      }
    }
    boxes.forEach(function (bx) {
      if (!bx.dx && !bx.dy) return;
      var st = bx.el.style;
      bx.el._snMargin = [st.marginLeft, st.marginTop];
      st.marginLeft = (parseFloat(st.marginLeft || 0) + bx.dx) + 'px';
      st.marginTop = (parseFloat(st.marginTop || 0) + bx.dy) + 'px';
    });
  }

  /* ---- direction arrows: along each line's drawn (offset) parts, never over a marker -- */
  function obstacles(map) {
    var box = map.getContainer().getBoundingClientRect(), out = [];
    var icons = map.getPane('markerPane').querySelectorAll('.leaflet-marker-icon');
    for (var i = 0; i < icons.length; i++) {
      var r = icons[i].getBoundingClientRect();
      if (r.width > 0) out.push([r.left - box.left - 4, r.top - box.top - 4,
                                 r.right - box.left + 4, r.bottom - box.top + 4]);
    }
    return out;
  }

  function arrows(map, lines, spacing, maxArrows, cluster) {
    var pane = map.createPane('snArrows');
    pane.style.zIndex = 550;
    pane.style.pointerEvents = 'none';
    var layer = L.layerGroup().addTo(map), pending = null;
    function draw() {
      pending = null;
      declutter(map);
      layer.clearLayers();
      var size = map.getSize(), blocked = obstacles(map), budget = maxArrows;
      lines.forEach(function (s) {
        if (!map.hasLayer(s.layer) || !map.hasLayer(s.line) || !s.line._parts) return;
        s.line._parts.forEach(function (pts) {
          var next = spacing / 2, walked = 0;
          for (var k = 1; k < pts.length && budget > 0; k++) {
            var a = pts[k - 1], b = pts[k], d = a.distanceTo(b);
            while (d > 0 && walked + d >= next && budget > 0) {
              var t = (next - walked) / d;
              var p = L.point(a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t);
              var c = map.layerPointToContainerPoint(p), free = c.x > 0 && c.y > 0 &&
                c.x < size.x && c.y < size.y;
              for (var o = 0; free && o < blocked.length; o++) {
                var q = blocked[o];
                if (c.x > q[0] - 7 && c.x < q[2] + 7 && c.y > q[1] - 7 && c.y < q[3] + 7) free = false;
              }
              if (free) {
                var deg = Math.atan2(b.y - a.y, b.x - a.x) * 180 / Math.PI;
                layer.addLayer(L.marker(map.layerPointToLatLng(p), {
                  pane: 'snArrows', interactive: false, keyboard: false, icon: L.divIcon({
                    className: 'sn-arrow', iconSize: [14, 14], iconAnchor: [7, 7],
                    html: '<svg width="14" height="14" viewBox="0 0 14 14" style="transform:rotate(' +
                      deg.toFixed(0) + 'deg)"><path d="M2 2 L12 7 L2 12 L5 7 Z" fill="' + s.colour +
                      '" stroke="#fff" stroke-width="1"/></svg>'})}));
                budget--;
              }
              next += spacing;
            }
            walked += d;
          }
        });
      });
    }
    function later() { if (!pending) pending = setTimeout(draw, 0); }
    map.on('moveend zoomend overlayadd overlayremove', later);
    if (cluster) cluster.on('animationend spiderfied unspiderfied', later);
    later();
  }

  /* ---- panels (summary, legend), the route list, the directions list ---------------- */
  function panel(map, p) {
    var ctl = L.control({position: p.position});
    ctl.onAdd = function () {
      var div = L.DomUtil.create('div', 'sn-panel leaflet-control');
      div.id = p.id;
      div.innerHTML = p.html;
      var det = div.querySelector('details');
      if (det) det.open = SN.phone() ? !!p.openPhone : !!p.openDesktop;
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    };
    ctl.addTo(map);
    return ctl.getContainer();
  }

  function routeList(map, root, zoomTo) {
    var input = root.querySelector('.sn-filter');
    var rows = root.querySelectorAll('tr[data-find]');
    if (input) {
      input.addEventListener('input', function () {
        var q = input.value.trim().toLowerCase(), shown = 0;
        rows.forEach(function (tr) {
          var hit = !q || tr.getAttribute('data-find').indexOf(q) >= 0;
          tr.style.display = hit ? '' : 'none';
          shown += hit ? 1 : 0;
        });
        var count = root.querySelector('.sn-count');
        if (count) count.textContent = shown + ' / ' + rows.length;
      });
    }
    rows.forEach(function (tr) {
      tr.addEventListener('click', function (e) {
        if (e.target.closest('a')) return;
        var b = zoomTo[tr.getAttribute('data-zoom')];
        if (b) map.fitBounds(b, {padding: [30, 30]});
      });
    });
  }

  function directionsList(map) {
    document.querySelectorAll('#sn-dir [data-ll]').forEach(function (el) {
      el.addEventListener('click', function (e) {
        if (e.target.closest('a')) return;
        var ll = el.getAttribute('data-ll').split(',');
        map.setView([+ll[0], +ll[1]], 17);
        if (SN.phone()) window.scrollTo(0, 0);
      });
    });
  }

  /* ---- locate me -------------------------------------------------------------------- */
  function locate(map, text, gcj) {
    var dot = null, ring = null;
    var Ctl = L.Control.extend({options: {position: 'topleft'}, onAdd: function () {
      var box = L.DomUtil.create('div', 'leaflet-bar leaflet-control');
      var a = L.DomUtil.create('a', 'sn-locate', box);
      a.href = '#'; a.title = text.locate; a.setAttribute('role', 'button');
      a.innerHTML = '&#9678;';
      L.DomEvent.on(a, 'click', function (e) {
        L.DomEvent.stop(e);
        map.locate({setView: false, enableHighAccuracy: true});
      });
      return box;
    }});
    new Ctl().addTo(map);
    map.on('locationfound', function (e) {
      var ll = gcj ? SN.gcj02(e.latlng.lat, e.latlng.lng) : [e.latlng.lat, e.latlng.lng];
      if (dot) { map.removeLayer(dot); map.removeLayer(ring); }
      ring = L.circle(ll, {radius: e.accuracy, weight: 1, color: '#1565c0', fillOpacity: 0.1,
                           interactive: false}).addTo(map);
      dot = L.circleMarker(ll, {radius: 7, weight: 3, color: '#fff', fillColor: '#1565c0',
                                fillOpacity: 1}).addTo(map)
        .bindPopup(fill(text.here, {m: Math.round(e.accuracy)}));
      map.setView(ll, Math.max(map.getZoom(), 16));
    });
    map.on('locationerror', function (e) {
      L.popup().setLatLng(map.getCenter()).setContent(fill(text.nolocation, {why: esc(e.message)}))
        .openOn(map);
    });
  }

  /* ---- the page --------------------------------------------------------------------- */
  SN.page = function (map, layers, data) {
    var text = data.text;
    if (layers.cluster) layers.cluster.options.iconCreateFunction = SN.clusterIcon(text);
    if (data.streets && data.streets.length) {
      L.polyline(SN.decodeChain(data.streets), L.extend({interactive: false, smoothFactor: 1.5},
                                                       data.streetStyle)).addTo(layers.streets);
    }
    // fill the groups off the map, so the cluster group takes each one in a single batch
    var shown = Object.keys(layers.groups).filter(function (g) {
      return map.hasLayer(layers.groups[g]);
    });
    shown.forEach(function (g) { map.removeLayer(layers.groups[g]); });
    var lines = addRoutes(layers, data.routes || [], data.maxBand || 24);
    addMarkers(layers, data.markers || []);
    shown.forEach(function (g) { map.addLayer(layers.groups[g]); });
    (data.panels || []).forEach(function (p) {
      var root = panel(map, p);
      if (p.id === 'sn-summary') routeList(map, root, data.zoomTo || {});
    });
    if (data.locate) locate(map, text, !!data.gcj);
    directionsList(map);
    arrows(map, lines, data.arrowSpacing || 100, data.maxArrows || 600, layers.cluster);
    SN.map = map;
    SN.data = data;
  };
})();
