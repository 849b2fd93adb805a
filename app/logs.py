"""Logging set-up: plain lines, and no working media links in access logs."""

from __future__ import annotations

import logging
import re

# A signed media URL is a capability: whoever reads it in a log could fetch the private image until it expires.
_SIGNATURE = re.compile(r"([?&]signature=)[0-9a-f]+")


class RedactSignedUrls(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_SIGNATURE.sub(r"\1[redacted]", a) if isinstance(a, str) else a for a in record.args)
        return True


def configure() -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("uvicorn.access").addFilter(RedactSignedUrls())
    # libvips narrates every image operation at INFO: a dozen lines per upload that say nothing an operator needs.
    logging.getLogger("pyvips").setLevel(logging.WARNING)
