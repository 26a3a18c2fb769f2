"""Locks that hold across OS threads even when eventlet has monkey-patched `threading`."""
import threading


def os_lock():
    """A real OS lock. Work run in `eventlet.tpool` threads must never contend on a green lock."""
    try:
        from eventlet.patcher import original
    except ImportError:
        return threading.Lock()
    return original("threading").Lock()
