(function () {
  'use strict';
  var doc = document;
  doc.documentElement.classList.add('js');
  var table = doc.getElementById('instances');
  var head = table && table.querySelector('table.rows-head');
  var bodies = table ? Array.prototype.slice.call(table.querySelectorAll('div.chunk > table > tbody')) : [];
  if (!head || !bodies.length) { return; }
  var chunkRows = 0;
  // items holds what the filter and the sort read, once, so that they never go back to the DOM:
  // the row, its action, whether it is a candidate and (from the first text filter on) its text.
  var items = [];
  bodies.forEach(function (tbody) {
    chunkRows = Math.max(chunkRows, tbody.rows.length);
    Array.prototype.forEach.call(tbody.rows, function (row) {
      var action = row.getAttribute('data-action');
      items.push({
        row: row, action: action, candidate: row.getAttribute('data-candidate') === 'true', shown: true, text: null
      });
    });
  });
  var chunks = bodies.map(function (tbody) { return tbody.parentNode.parentNode; });
  var filter = doc.getElementById('filter');
  var actionSelect = doc.getElementById('action-filter');
  var shown = doc.getElementById('shown-count');
  var noMatch = doc.getElementById('no-match');
  var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
  var rowHeight = 0;

  function matches(item, action, terms) {
    if (action === 'candidate' ? !item.candidate : action !== '' && item.action !== action) { return false; }
    if (terms.length && item.text === null) {
      var row = item.row;
      item.text = (row.textContent + ' ' + item.action + ' ' + row.getAttribute('data-id')).toLowerCase().replace(/\s+/g, ' ');
    }
    for (var t = 0; t < terms.length; t++) {
      if (item.text.indexOf(terms[t]) === -1) { return false; }
    }
    return true;
  }

  // applyFilter shows the rows that match, in one pass over items, touching only the rows whose
  // visibility changes; a chunk without a row to show is hidden, and the others are given the
  // height their shown rows will take, so that the chunks off screen keep the page's length right.
  function applyFilter() {
    var terms = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    var action = actionSelect.value;
    var count = 0;
    var perChunk = chunks.map(function () { return 0; });
    if (!rowHeight) {
      rowHeight = chunks[0].getBoundingClientRect().height / Math.max(1, bodies[0].rows.length) || 72;
    }
    items.forEach(function (item, i) {
      var visible = matches(item, action, terms);
      if (visible !== item.shown) { item.row.hidden = !visible; item.shown = visible; }
      if (visible) { count++; perChunk[Math.floor(i / chunkRows)]++; }
    });
    chunks.forEach(function (chunk, c) {
      chunk.hidden = perChunk[c] === 0;
      chunk.style.containIntrinsicBlockSize = Math.round(perChunk[c] * rowHeight) + 'px';
    });
    shown.textContent = String(count);
    noMatch.hidden = count !== 0 || items.length === 0;
  }

  function sortKey(row, index) {
    var cell = row.cells[index];
    var value = cell.getAttribute('data-sort');
    return (value === null ? cell.textContent : value).trim();
  }

  // sortBy orders the rows by one column and deals them out to the chunks in that order.
  function sortBy(th, index) {
    var numeric = th.getAttribute('data-sort') === 'num';
    var direction = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
    Array.prototype.forEach.call(head.tHead.rows[0].cells, function (h) { h.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', direction === 1 ? 'ascending' : 'descending');
    var keyed = items.map(function (item, position) {
      return { item: item, key: sortKey(item.row, index), position: position };
    });
    keyed.sort(function (a, b) {
      var aEmpty = a.key === '', bEmpty = b.key === '';
      if (aEmpty || bEmpty) {
        return aEmpty === bEmpty ? a.position - b.position : (aEmpty ? 1 : -1);
      }
      var c = numeric ? Number(a.key) - Number(b.key) : collator.compare(a.key, b.key);
      return c !== 0 ? c * direction : a.position - b.position;
    });
    items = keyed.map(function (k) { return k.item; });
    bodies.forEach(function (tbody, c) {
      var fragment = doc.createDocumentFragment();
      items.slice(c * chunkRows, (c + 1) * chunkRows).forEach(function (item) { fragment.appendChild(item.row); });
      tbody.appendChild(fragment);
    });
    applyFilter();
  }

  Array.prototype.forEach.call(head.tHead.rows[0].cells, function (th, index) {
    var button = th.querySelector('button');
    if (button && th.hasAttribute('data-sort')) {
      button.addEventListener('click', function () { sortBy(th, index); });
    }
  });
  filter.addEventListener('input', applyFilter);
  actionSelect.addEventListener('change', applyFilter);
  Array.prototype.forEach.call(doc.querySelectorAll('a.pick-action'), function (link) {
    link.addEventListener('click', function () {
      actionSelect.value = link.getAttribute('data-action');
      applyFilter();
    });
  });
  doc.addEventListener('keydown', function (e) {
    if (e.key === '/' && doc.activeElement !== filter) { e.preventDefault(); filter.focus(); }
  });
  // The style's placeholder height is for a full chunk of rows of about 72px (report.css); the
  // last chunk is usually shorter.
  var last = bodies.length - 1;
  chunks[last].style.containIntrinsicBlockSize = (bodies[last].rows.length * 72) + 'px';
  if (filter.value !== '' || actionSelect.value !== '') { applyFilter(); }
}());
