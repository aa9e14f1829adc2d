#!/usr/bin/env python3
"""Rewrite the outputs of executed notebooks so that they name no path of the machine that ran
them: the checkout's absolute path becomes <checkout>, its parent's <checkout>/.. (where a
../shared/hf-cache lives). make notebooks-real runs it after executing the notebooks in place;
sentimentlib/experiments' TestCommittedNotebooksNameNoMachinePath checks the result.

Usage: scripts/scrub-notebooks.py CHECKOUT NOTEBOOK..."""
import json
import os
import sys


def scrub(value, root, parent):
    if isinstance(value, str):
        return value.replace(root, "<checkout>").replace(parent + "/", "<checkout>/../")
    if isinstance(value, list):
        return [scrub(v, root, parent) for v in value]
    if isinstance(value, dict):
        return {k: scrub(v, root, parent) for k, v in value.items()}
    return value


def main():
    root = os.path.realpath(sys.argv[1])
    parent = os.path.dirname(root)
    for path in sys.argv[2:]:
        with open(path, encoding="utf-8") as f:
            nb = json.load(f)
        for cell in nb.get("cells", []):
            if "outputs" in cell:
                cell["outputs"] = scrub(cell["outputs"], root, parent)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(nb, f, indent=1, sort_keys=True, ensure_ascii=False)
            f.write("\n")


if __name__ == "__main__":
    main()
