"""FHIRPath for the service; the only package that imports fhirpathpy.

    compile(expression, base_type)(node, resource=..., resolve=...)   fhirpathpy with a typed context
                                                                        and the functions it lacks
    compile_simple(expression, base_path)(node, resource)              the common invariant shapes in
                                                                        Python (None: use compile)
    compile_on_type(type_name, expression)(instance, environment)      fhirpathpy's plain reading;
                                                                        dotted paths walked in Python
    split_union(expression), strip_outer_parens(text)                  expressions as text

engine.py wraps fhirpathpy (caches, extra functions), simple.py is the invariant evaluator,
paths.py the dotted-path walker, syntax.py the text operations.
"""

from fhir_service.fhirpath.engine import Compiled, Resolver, compile, compile_plain, evaluate, parse_ast
from fhir_service.fhirpath.paths import compile_on_type, compile_path
from fhir_service.fhirpath.simple import compile_simple
from fhir_service.fhirpath.syntax import split_union, strip_outer_parens

__all__ = [
    "Compiled",
    "Resolver",
    "compile",
    "compile_on_type",
    "compile_path",
    "compile_plain",
    "compile_simple",
    "evaluate",
    "parse_ast",
    "split_union",
    "strip_outer_parens",
]
