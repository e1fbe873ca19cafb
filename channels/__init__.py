"""Rasa custom input channels: web help page, DingTalk robot, WeCom self-built app.

Register them in credentials.yml by module path (see docs/channels.md):
``channels.web.WebInput``, ``channels.dingtalk.DingTalkInput``, ``channels.wecom.WeComInput``.
What they share lives in modules named by what they hold: :mod:`channels.rasa_bridge` (a message
through Rasa), :mod:`channels.chat_app` (DingTalk's and WeCom's common path), :mod:`channels.images`,
:mod:`channels.buttons`, :mod:`channels.http_client`, :mod:`channels.rate_limit` and smaller ones.
"""
