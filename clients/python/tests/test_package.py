"""The package's version follows the Maven project's, and the README's example runs as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from conftest import API_KEY, PACKAGE, REPO
import switchboard


def test_the_version_is_the_maven_project_version_in_pep_440_form():
    pom = (REPO / "pom.xml").read_text(encoding="utf-8")
    maven = re.search(r"<artifactId>switchboard-parent</artifactId>\s*<version>([^<]+)</version>", pom).group(1)
    expected = maven[:-len("-SNAPSHOT")] + ".dev0" if maven.endswith("-SNAPSHOT") else maven
    assert switchboard.__version__ == expected
    assert 'dynamic = ["version"]' in (PACKAGE / "pyproject.toml").read_text(encoding="utf-8")


def fenced_blocks(markdown: str):
    """``(language, code)`` of each fenced code block."""
    blocks, lang, lines = [], None, []
    for line in markdown.splitlines():
        if line.startswith("```"):
            if lang is None:
                lang, lines = line[3:].strip(), []
            else:
                blocks.append((lang, "\n".join(lines) + "\n"))
                lang = None
        elif lang is not None:
            lines.append(line)
    return blocks


def test_the_readme_example_runs_as_written(server, tmp_path):
    blocks = fenced_blocks((PACKAGE / "README.md").read_text(encoding="utf-8"))
    example = next(code for lang, code in blocks if lang == "python" and "asyncio.run(main())" in code)
    example = (example.replace("localhost:8080", f"127.0.0.1:{server.port}")
               .replace("change-me-to-a-long-secret", API_KEY))
    script = tmp_path / "chat.py"
    script.write_text(example, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(PACKAGE)}
    out = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    printed = out.stdout.splitlines()
    expected = next(code for lang, code in blocks if lang == "" and "published at offset" in code)
    # The message from the API and the history reply race over the socket; the lines are what is promised.
    assert sorted(printed) == sorted(expected.strip().splitlines())
