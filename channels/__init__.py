"""Rasa custom input channels: web help page, DingTalk robot, WeCom self-built app.

Register them in credentials.yml by module path (see docs/channels.md):
``channels.web.WebInput``, ``channels.dingtalk.DingTalkInput``, ``channels.wecom.WeComInput``.
Shared plumbing lives in :mod:`channels.common`.
"""
