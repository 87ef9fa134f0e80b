from wlid_render.cli import run

run()
