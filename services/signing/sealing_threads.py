"""Sealing runs in `eventlet.tpool` OS threads: nothing it reaches may block on a green lock.

A tpool thread that blocks on a green lock (eventlet's monkey-patched `threading.Lock`, or logging's module
lock, which eventlet converts when it patches) starts an eventlet hub of its own and is never woken: the
thread that releases the lock fails with `greenlet.error: Cannot switch to a different thread` and the batch
never finishes.

Two things on the sealing and verification path take such a lock:

- signxml guards its per-class schema cache (`XMLProcessor.schemas()`, called by every verification) with a
  `threading.Lock` made when signxml is imported, i.e. a green lock in a service. The first verification
  compiles the xmldsig schema while holding it, so two release chunks sealed at once right after start
  collide; later collisions are rarer but possible.
- a logger's level cache is filled under logging's module lock on first use (signxml logs at debug level
  while canonicalising).

`prepare()` swaps signxml's lock for an OS lock, compiles the schemas and fills the level caches of
signxml's loggers, on the calling (hub) thread. Call it at start, after logging is configured.

`slots` bounds the chunks sealed at once in a process (taken on the hub thread, around `tpool.execute`).
Sealing is CPU-bound under one GIL: a second thread gains what lxml and OpenSSL release of it, more threads
only make every chunk finish late and together, where chunks finishing one after another let the vehicles
service record the first ones while the next are sealed.
"""
import logging

from eventlet.semaphore import Semaphore
from signxml import XMLVerifier
from signxml.processor import XMLProcessor
from signxml.xades import XAdESVerifier

from common.locks import os_lock

_LEVELS = (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL)
SEALING_AT_ONCE = 2
slots = Semaphore(SEALING_AT_ONCE)


def prepare():
    if not isinstance(XMLProcessor._schemas_lock, type(os_lock())):
        XMLProcessor._schemas_lock = os_lock()
    for verifier in (XMLVerifier, XAdESVerifier):
        verifier.schemas()
    for name in list(logging.root.manager.loggerDict):
        logger = logging.getLogger(name)
        if name.split(".")[0] == "signxml" and isinstance(logger, logging.Logger):
            for level in _LEVELS:
                logger.isEnabledFor(level)
