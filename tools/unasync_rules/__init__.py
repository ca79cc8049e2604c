"""The rules of tools/unasync.py: how one async source becomes its sync twin.

Layer and job: build tooling, standard library only, never imported by ``twinsql``.
``table`` holds the closed rename table and the rule names, ``branches`` removes the
``if _IS_ASYNC:`` branches, ``convert`` applies the keyword and identifier rules and the
same-file guard, and ``text`` holds the tokenizing helpers they share.
"""
