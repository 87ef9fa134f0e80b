"""Views of a plan for people and tools, shared by the emitters and the CLI: explain (the graph and
its text, Mermaid and JSON forms) and az (the az command lines of an environment)."""
