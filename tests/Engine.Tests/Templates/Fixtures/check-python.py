"""Renders every case of NAME.cases.json again with Python's jinja2, set up as transformers' apply_chat_template
sets it up (chat_template_utils._compile_jinja_template), and reports where @huggingface/jinja's render differs.
Not run by the tests. Run after render-reference.mjs:

    python3 tests/Engine.Tests/Templates/Fixtures/check-python.py [--fix]

With --fix, a case where the two differ gets Python's render as "expected" (Python is what apply_chat_template
runs, and what ChatTemplate follows) and keeps the JavaScript one as "huggingface_jinja", so the difference stays
visible. Needs jinja2 3.1.
"""
import json
import pathlib
import sys
from datetime import datetime

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment


class Generation(Extension):
    """{% generation %}...{% endgeneration %} renders its body, as transformers' AssistantTracker does when not tracking."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        return nodes.CallBlock(self.call_method("_body"), [], [], body).set_lineno(lineno)

    def _body(self, caller):
        return caller()


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def main():
    fix = "--fix" in sys.argv
    here = pathlib.Path(__file__).parent
    differences = 0
    for path in sorted(here.glob("*.cases.json")):
        fixture = json.loads(path.read_text(encoding="utf-8"))
        now = datetime.fromisoformat(fixture["now"])
        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[Generation, loopcontrols])
        env.filters["tojson"] = tojson
        env.globals["raise_exception"] = raise_exception
        env.globals["strftime_now"] = lambda format: now.strftime(format)
        template = env.from_string((here / fixture["template"]).read_text(encoding="utf-8"))
        for case in fixture["cases"]:
            try:
                python, python_error = template.render(messages=case["messages"], add_generation_prompt=case["add_generation_prompt"],
                    tools=None, bos_token=fixture["bos_token"] or "", eos_token=fixture["eos_token"] or ""), None
            except jinja2.exceptions.TemplateError as e:
                python, python_error = None, str(e)
            reference = case.get("huggingface_jinja", case.get("expected"))
            if (python, python_error) == (case.get("expected"), case.get("error")):
                continue
            differences += 1
            print(f"{path.name} {case['name']}:\n  python:  {python!r} {python_error or ''}\n  hf/jinja: {reference!r} {case.get('error') or ''}")
            if fix and python is not None and reference is not None:
                case["huggingface_jinja"] = reference
                case["expected"] = python
        if fix:
            path.write_text(json.dumps(fixture, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{differences} case(s) differ")


main()
