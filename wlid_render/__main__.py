from wlid_render.cli import main

main()
