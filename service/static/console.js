/* The dispatcher's console: open reports on a map and in a table, plan the day, follow
 * the plan, then the overview map, each truck's totals, driver links and QR codes.
 *
 * Every text shown comes from the catalog inlined as #console-messages
 * (service/static/messages/en.json, translated through i18n's catalogs); this file
 * holds keys only. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("console-config").textContent);
  var messages = JSON.parse(document.getElementById("console-messages").textContent);
  var numbers = new Intl.NumberFormat(config.lang, { maximumFractionDigits: 1 });
  var POLL_MS = 1000;
  var PAGE = 500;
  var MAX_PAGES = 20;
  var KIND_COLOURS = { dead_spot: "#c0392b", bin: "#2471a3", depot: "#1d2733",
                       landfill: "#7d5a2b", transfer: "#7d5a2b" };

  function t(key, params) {
    var text = Object.prototype.hasOwnProperty.call(messages, key) ? messages[key] : key;
    Object.keys(params || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(String(params[name]));
    });
    return text;
  }

  function num(value) { return value === null || value === undefined ? "" : numbers.format(value); }

  function $(id) { return document.getElementById(id); }

  function cell(row, text, className) {
    var td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "" : String(text);
    if (className) { td.className = className; }
    row.appendChild(td);
    return td;
  }

  function translatePage() {
    document.querySelectorAll("[data-i18n]").forEach(function (el) {
      el.textContent = t(el.getAttribute("data-i18n"));
    });
    document.querySelectorAll("[data-i18n-placeholder]").forEach(function (el) {
      el.setAttribute("placeholder", t(el.getAttribute("data-i18n-placeholder")));
    });
    document.querySelectorAll("[data-i18n-title]").forEach(function (el) {
      el.setAttribute("title", t(el.getAttribute("data-i18n-title")));
    });
    document.title = t("title");
    $("scenario").textContent = t("scenario", { name: config.scenario });
  }

  /* -- the token: typed in, or given once as #token=... (kept for this tab only) ------- */
  var TOKEN_KEY = "sanitation-routes-token";

  function initToken() {
    var match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
    if (match) {
      sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
      history.replaceState(null, "", window.location.pathname + window.location.search);
    }
    var input = $("token");
    input.value = sessionStorage.getItem(TOKEN_KEY) || "";
    input.addEventListener("change", function () {
      sessionStorage.setItem(TOKEN_KEY, input.value.trim());
    });
  }

  function api(method, path, body) {
    var headers = { "Accept": "application/json" };
    var token = $("token").value.trim();
    if (method !== "GET" && token) { headers["Authorization"] = "Bearer " + token; }
    if (body !== undefined) { headers["Content-Type"] = "application/json"; }
    return fetch(path, { method: method, headers: headers,
                         body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (response) {
        return response.text().then(function (text) {
          var data = null;
          try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
          return { status: response.status, data: data, headers: response.headers };
        });
      });
  }

  function problem(answer) {
    if (answer.data && Array.isArray(answer.data.detail) && answer.data.detail.length) {
      var first = answer.data.detail[0];
      return first.msg + (first.fix ? " (" + first.fix + ")" : "");
    }
    return "HTTP " + answer.status;
  }

  /* -- the map of open reports ------------------------------------------------------- */
  var map = L.map("map", { zoomControl: true, attributionControl: true });
  if (config.tiles) {
    L.tileLayer(config.tiles, { maxZoom: 19, attribution: config.tileAttribution }).addTo(map);
  }
  var placeLayer = L.featureGroup().addTo(map);
  var siteLayer = L.featureGroup().addTo(map);

  function popup(lines) {
    var box = document.createElement("div");
    lines.forEach(function (line) {
      if (!line) { return; }
      var p = document.createElement("div");
      p.textContent = line;
      box.appendChild(p);
    });
    return box;
  }

  function drawPlaces() {
    config.places.forEach(function (place) {
      L.circleMarker([place.lat, place.lon], {
        radius: 7, weight: 3, color: KIND_COLOURS[place.kind] || "#555",
        fillColor: "#fff", fillOpacity: 1
      }).bindPopup(popup([t("kind." + place.kind) + ": " + (place.name || place.site_id)]))
        .addTo(placeLayer);
    });
  }

  function fitMap() {
    var bounds = L.latLngBounds([]);
    [placeLayer, siteLayer].forEach(function (layer) {
      if (layer.getLayers().length) { bounds.extend(layer.getBounds()); }
    });
    if (bounds.isValid()) {
      map.fitBounds(bounds.pad(0.08), { maxZoom: 16 });
    } else {
      map.setView([0, 0], 2);
    }
  }

  function drawSites(items, total) {
    siteLayer.clearLayers();
    var body = document.querySelector("#sites-table tbody");
    body.textContent = "";
    var tonnes = 0;
    items.forEach(function (site) {
      tonnes += site.tonnes;
      L.circleMarker([site.lat, site.lon], {
        radius: 4 + Math.min(10, Math.sqrt(site.tonnes) * 1.6), weight: 1,
        color: "#fff", fillColor: KIND_COLOURS[site.kind] || "#555", fillOpacity: 0.85
      }).bindPopup(popup([
        t("popup.site", { id: site.site_id, tonnes: num(site.tonnes), priority: site.priority }),
        site.name && site.name !== site.site_id ? site.name : "", site.note || ""
      ])).addTo(siteLayer);
      var row = document.createElement("tr");
      cell(row, site.site_id);
      cell(row, t("kind." + site.kind));
      cell(row, num(site.tonnes), "num");
      cell(row, site.stream);
      cell(row, site.priority, "num");
      cell(row, (site.reported_at || "").slice(0, 16).replace("T", " "), "when");
      cell(row, site.note || "");
      body.appendChild(row);
    });
    var summary = items.length < total ? "reports.more" : "reports.summary";
    $("reports-summary").textContent = total === 0 ? t("reports.none")
      : t(summary, { count: total, tonnes: num(tonnes), shown: items.length });
    document.body.setAttribute("data-sites-loaded", String(items.length));
  }

  function loadSites() {
    var items = [];
    function page(offset, count) {
      return api("GET", "/v1/sites?status=open&limit=" + PAGE + "&offset=" + offset)
        .then(function (answer) {
          if (answer.status !== 200) { throw new Error(problem(answer)); }
          items = items.concat(answer.data.items);
          if (answer.data.next_offset !== null && count + 1 < MAX_PAGES) {
            return page(answer.data.next_offset, count + 1);
          }
          return answer.data.total;
        });
    }
    return page(0, 0).then(function (total) {
      drawSites(items, total);
    }).catch(function (error) {
      $("reports-summary").textContent = t("reports.error", { error: error.message });
    });
  }

  /* -- planning ---------------------------------------------------------------------- */
  var current = null;
  var timer = null;

  function setStatus(status, text) {
    document.body.setAttribute("data-plan-status", status);
    $("plan-status").textContent = text;
  }

  function busy(yes) {
    $("plan-button").disabled = yes;
    $("rerun-button").hidden = true;
  }

  function startPlan() {
    if (!config.writes) { setStatus("error", t("token.readOnly")); return; }
    if (!$("token").value.trim()) { setStatus("error", t("token.missing")); return; }
    sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
    busy(true);
    setStatus("sending", t("plan.sending"));
    var request = {};
    if ($("plan-date").value) { request.date = $("plan-date").value; }
    request.language = config.lang;  /* pages, sheets and reasons in the console's language */
    api("POST", "/v1/plans", request).then(accepted).catch(function (error) {
      busy(false);
      setStatus("error", t("plan.error", { error: error.message }));
    });
  }

  function accepted(answer) {
    if (answer.status === 202) {
      current = answer.data.id;
      poll();
      return;
    }
    busy(false);
    if (answer.status === 401 || answer.status === 403) {
      setStatus("error", config.writes ? t("token.wrong") : t("token.readOnly"));
    } else if (answer.status === 429) {
      setStatus("error", t("plan.full", { seconds: answer.headers.get("Retry-After") || "?" }));
    } else {
      setStatus("error", t("plan.error", { error: problem(answer) }));
    }
  }

  function rerun() {
    if (!current) { return; }
    busy(true);
    api("POST", "/v1/plans/" + current + "/rerun").then(accepted);
  }

  function poll() {
    clearTimeout(timer);
    api("GET", "/v1/plans/" + current).then(function (answer) {
      if (answer.status !== 200) { throw new Error(problem(answer)); }
      showPlan(answer.data);
    }).catch(function (error) {
      setStatus("error", t("plan.error", { error: error.message }));
      timer = setTimeout(poll, POLL_MS * 3);
    });
  }

  function showPlan(plan) {
    var progress = plan.progress || {};
    var stage = t("stage." + (progress.stage || "starting"));
    if (plan.status === "queued") {
      setStatus("queued", t("plan.queued", { position: plan.queue_position || 1 }));
    } else if (plan.status === "running") {
      var elapsed = num(progress.elapsed_s || 0);
      setStatus("running", progress.best_cost === null || progress.best_cost === undefined
        ? t("plan.running", { stage: stage, elapsed: elapsed })
        : t("plan.runningCost", { stage: stage, cost: num(progress.best_cost),
                                  elapsed: elapsed }));
    }
    if (plan.status === "queued" || plan.status === "running") {
      busy(true);
      timer = setTimeout(poll, POLL_MS);
      return;
    }
    busy(false);
    if (plan.status === "failed") {
      setStatus("failed", t("plan.failed", { reason: plan.reason }));
      $("rerun-button").hidden = false;
      return;
    }
    var totals = plan.result.totals;
    setStatus("done", t("plan.done", {
      date: plan.result.date, trucks: totals.trucks_used, tonnes: num(totals.tonnes),
      km: num(totals.distance_km), unassigned: plan.result.unassigned.length
    }));
    showResult(plan);
  }

  function absolute(path) { return new URL(path, window.location.href).href; }

  function showResult(plan) {
    $("result").hidden = false;
    var overview = $("overview");
    if (overview.getAttribute("src") !== plan.links.map) {
      overview.setAttribute("src", plan.links.map);
    }
    var body = document.querySelector("#trucks-table tbody");
    body.textContent = "";
    plan.result.trucks.forEach(function (truck) {
      var links = plan.links.trucks[truck.truck];
      var row = document.createElement("tr");
      cell(row, truck.truck);
      cell(row, truck.stops, "num");
      cell(row, num(truck.tonnes), "num");
      cell(row, num(truck.km), "num");
      cell(row, num(truck.hours), "num");
      cell(row, truck.unload_trips, "num");
      var open = document.createElement("a");
      open.href = absolute(links.map);
      open.target = "_blank";
      open.rel = "noopener";
      open.textContent = t("result.open");
      cell(row, "").appendChild(open);
      var qr = document.createElement("img");
      qr.className = "qr";
      qr.src = links.qr_svg;
      qr.alt = t("result.qrAlt", { truck: truck.truck });
      cell(row, "").appendChild(qr);
      body.appendChild(row);
    });
    var left = plan.result.unassigned;
    $("unassigned-heading").textContent = left.length
      ? t("result.unassigned", { count: left.length }) : t("result.allServed");
    var list = $("unassigned");
    list.textContent = "";
    left.forEach(function (u) {
      var item = document.createElement("li");
      item.textContent = t("result.unassignedItem", { site: u.stop_id, tonnes: num(u.tonnes),
                                                       reason: u.reason });
      list.appendChild(item);
    });
  }

  function clearServed() {
    if (!current) { return; }
    $("clear-button").disabled = true;
    api("POST", "/v1/plans/" + current + "/clear").then(function (answer) {
      $("clear-button").disabled = false;
      if (answer.status !== 200) {
        $("clear-status").textContent = t("result.clearError", { error: problem(answer) });
        return;
      }
      $("clear-status").textContent = t("result.cleared", {
        cleared: answer.data.cleared.length, reduced: answer.data.reduced.length });
      loadSites();
    });
  }

  function latestPlan() {
    return api("GET", "/v1/plans?limit=1").then(function (answer) {
      if (answer.status === 200 && answer.data.items.length) {
        current = answer.data.items[0].id;
        showPlan(answer.data.items[0]);
      }
    });
  }

  translatePage();
  initToken();
  drawPlaces();
  var today = new Date();
  today.setMinutes(today.getMinutes() - today.getTimezoneOffset());
  $("plan-date").value = today.toISOString().slice(0, 10);
  $("plan-button").addEventListener("click", startPlan);
  $("rerun-button").addEventListener("click", rerun);
  $("clear-button").addEventListener("click", clearServed);
  loadSites().then(fitMap).then(latestPlan);
})();
