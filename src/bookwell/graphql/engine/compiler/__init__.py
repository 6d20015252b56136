"""The compiled read path (issue 18): a validated query the compiler covers is answered by
ONE SQL statement that returns each root field's JSON, byte for byte what the ordinary
executor answers; a root field under which something cannot be written exactly is left to
the ordinary executor, whose answer is merged in. Settings.compiled_reads (false) turns it
off.

plan.py walks the operation into parts (parts.py: objects, columns, related rows; pages.py:
connections as keyset pages; availability.py), declarations.py says which fields of which
types are plain columns, sql.py renders the services' expressions and predicates to text,
roots.py holds a plan and the binders a request runs, run.py caches plans per operation and
runs them; graphql/engine/execution.py plugs it in.
"""
