"""channels.background: work after the webhook answered."""

import logging

import pytest

from channels.background import BackgroundTasks


@pytest.mark.asyncio
async def test_background_tasks_log_failures(caplog):
    tasks = BackgroundTasks("t")

    async def bad():
        raise ValueError("x 110101199003070011")

    with caplog.at_level(logging.ERROR, logger="channels.background"):
        await tasks.spawn(bad(), what="job")
    assert "t.task.failed what=job error=ValueError: x 1101********0011" in caplog.text
