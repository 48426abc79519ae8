"""The console: the watch floor in the browser, served by the ingest worker at ``/``.

Officers sign in (``accounts``, ``session``), follow the live alert feed
(``history``, ``feed``, ``present``), read a story as one thread
(``story``), act on alerts (``actions``: acknowledge, mute a story, snooze a
watchlist — the notifier honours the last two, ``notifier/silences.py``),
judge tags (``labels``: stored as label records for later review), and
manage watchlists with a dry run over stored articles (``watchlist_form``,
``trial``). ``web`` wires these to routes and templates; every asset is in
this package (no CDN).
"""
