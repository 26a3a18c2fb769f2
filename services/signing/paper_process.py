"""Rendering paper CoCs from a nameko worker: in a child process (`services.signing.paper.worker`), talked to
through green pipes, so the event loop keeps serving (heartbeats, other RPCs) and sealing keeps its GIL.

`slots` bounds the renderers of direct prints running at once in a service process: each is CPU-bound, and
more than the cores only makes every print finish late. A release's print job renders its parts under
`background_slots` of their own, so a person's single print never waits behind a release's parts.
"""
import json
import sys

import eventlet
from eventlet.green import subprocess
from eventlet.semaphore import Semaphore

RENDERING_AT_ONCE = 2
slots = Semaphore(RENDERING_AT_ONCE)
background_slots = Semaphore(RENDERING_AT_ONCE)


class RenderFailed(Exception):
    pass


def render(job, timeout, background=False):
    """The renderer's output for `job` (see the worker's docstring); RenderFailed with its reason. A `background`
    job (a print job's part or its putting together) runs at low CPU priority under `background_slots`."""
    with background_slots if background else slots:
        process = subprocess.Popen([sys.executable, "-m", "services.signing.paper.worker"], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            with eventlet.Timeout(timeout, RenderFailed(f"the paper renderer took longer than {timeout:g}s")):
                out, err = process.communicate(json.dumps(dict(job, background=background)).encode("utf-8"))
        except BaseException:  # late, or this worker is being killed (a stopping service): no orphan renderer
            process.kill()
            process.wait()
            raise
    if process.returncode != 0:
        reason = err.decode("utf-8", "replace").strip().splitlines()
        raise RenderFailed(f"the paper renderer failed: {reason[-1] if reason else process.returncode}")
    return out


def background_problem(svg, timeout):
    """Why the renderer cannot draw `svg` under a page (None when it can), asked of a renderer child process: an
    entity's background is arbitrary SVG, parsed off the event loop and within `timeout`."""
    try:
        out = render({"check": "background", "background_svg": svg}, timeout)
    except RenderFailed as exc:
        return str(exc)
    return out.decode("utf-8") or None
