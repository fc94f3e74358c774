"""A run folder's files: names and the run config (``layout``), the live stream (``stream``), the lock
(``lock``), atomic writes and caches (``files``); and where tuning studies live (``studies``)."""
