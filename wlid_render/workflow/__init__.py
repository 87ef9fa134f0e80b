"""The workflow: what each command does, between the command line and the stages.

The CLI parses its arguments, calls one operation here and prints the value it returns; the
operations run the stages (spec -> plan -> emit, then write or validate) and never print or exit.
Like tanka's Show/Diff/Apply over one options struct, every operation that renders takes a
`RenderOptions` (options.py):

* tree.py: `render_into` OUT, `check` and `dry_run` against OUT -> a TreeOutcome per spec;
* stream.py: `stream_environment`, one environment's objects for `-o -`;
* deploy.py: `whatif` (OUT must be up to date) and `read_binding` then `pin` (`wlid bind`);
* planning.py: `explain`, and the plan and environment `wlid drift` compares;
* validation.py: `validate_trees` and the reports of `wlid validate`;
* files.py: the schema, a starter spec, any spec file written whole;
* pipeline.py: the pure render itself (loaded spec -> Plan -> artifacts);
* inputs.py: the spec, the environment and the deployment outputs an operation reads;
* errors.py: why an operation cannot be done.

Operations raise SpecError (wlid_render/errors.py) for a spec with problems and the errors of
workflow/errors.py otherwise; the CLI maps them to exit codes in one place (cli/group.py).
"""
