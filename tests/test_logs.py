"""What reaches the logs."""

from __future__ import annotations

import logging

from app.logs import RedactSignedUrls


def test_access_log_lines_do_not_carry_working_media_signatures() -> None:
    path = "/media/generations/gen_1_x/result.png?expires=1795323600&signature=915fdce288c397d16fa0"
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", path, "1.1", 200), None)

    assert RedactSignedUrls().filter(record)

    line = record.getMessage()
    assert "915fdce288c397d16fa0" not in line
    assert "/media/generations/gen_1_x/result.png?expires=1795323600&signature=[redacted]" in line
