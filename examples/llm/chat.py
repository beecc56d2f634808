"""Ask an OpenAI-compatible chat endpoint one question and print the answer.

The endpoint and the model name come from the environment, the way Compose's `models:` element hands
them to a service (LLM_URL, LLM_MODEL). The same script therefore talks to Docker Model Runner, vLLM,
Ollama or TGI: all four serve the OpenAI chat-completions API. Only the standard library, so the image
needs no packages.

    LLM_URL=http://127.0.0.1:8000/v1 LLM_MODEL=qwen3-0.6b python chat.py "What is a container?"
"""
from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

DEFAULT_QUESTION = "In one sentence: what is a container image?"


def chat_url(base_url: str) -> str:
    """The chat-completions URL under an OpenAI-style base URL (with or without a trailing slash)."""
    return base_url.rstrip("/") + "/chat/completions"


def read_api_key() -> str | None:
    """The API key from the file LLM_API_KEY_FILE names (a mounted secret), if any.

    A file, not an environment variable: a secret in the environment shows in `docker inspect` and in
    the process list of anyone who can read /proc.
    """
    path = os.environ.get("LLM_API_KEY_FILE")
    if not path:
        return None
    key = Path(path).read_text(encoding="utf-8").strip()
    return key or None


def ask(base_url: str, model: str, question: str, *, api_key: str | None = None,
        max_tokens: int = 256, timeout: float = 120.0) -> str:
    """Send one user message and return the model's reply text."""
    body = json.dumps({
        "model": model,
        "messages": [{"role": "user", "content": question}],
        "max_tokens": max_tokens,
        # Deterministic sampling: the same question gives the same answer from the same model build.
        "temperature": 0,
    }).encode("utf-8")
    request = urllib.request.Request(chat_url(base_url), data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    if api_key:
        request.add_header("Authorization", f"Bearer {api_key}")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        payload = json.load(response)
    return payload["choices"][0]["message"]["content"]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    base_url, model = os.environ.get("LLM_URL"), os.environ.get("LLM_MODEL")
    if not base_url or not model:
        print("error: set LLM_URL (an OpenAI-compatible base URL) and LLM_MODEL", file=sys.stderr)
        return 2
    question = " ".join(args) or DEFAULT_QUESTION
    url = chat_url(base_url)
    try:
        print(ask(base_url, model, question, api_key=read_api_key()))
    except urllib.error.HTTPError as err:
        detail = err.read().decode("utf-8", "replace")[:300]
        print(f"error: {url} answered HTTP {err.code}: {detail}", file=sys.stderr)
        return 1
    except urllib.error.URLError as err:
        print(f"error: cannot reach {url}: {err.reason}", file=sys.stderr)
        return 1
    except (KeyError, IndexError, ValueError) as err:
        print(f"error: {url} did not answer like an OpenAI chat endpoint: {err!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
