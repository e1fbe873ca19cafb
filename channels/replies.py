"""Texts the channels themselves show users (Chinese; the busy and failure replies also in English); the bot's
own answers live in the domain."""

FALLBACK_REPLY = "抱歉，系统暂时无法处理您的消息，请稍后再试；如需人工帮助，请回复「转人工」。"
UNSUPPORTED_MESSAGE_REPLY = "暂时只能处理文字和图片消息。请用文字描述实名认证失败的原因，或发送证件照片。"
IMAGE_FAILED_REPLY = "图片没有处理成功，请稍后重试，或在网页帮助页面上传证件照片。"
RESERVED_COMMAND_REPLY = "这个指令只能由系统发送。请直接发送文字，或上传证件照片。"
SERVICE_BUSY_REPLY = (
    "抱歉，助手的后台服务暂时不可用，这条消息没有处理。请稍等片刻再发一次；之前的对话进度都还在。"
    "如果急需人工帮助，请直接提交工单：{ticket_url}"
)


# The same two replies for a customer who writes in English (realname.language.detect on their message).
FALLBACK_REPLY_EN = ("Sorry, your message could not be handled right now. Please try again later; for a human, "
                     "reply \"talk to a human\".")
SERVICE_BUSY_REPLY_EN = (
    "Sorry, the assistant's back end is unavailable for a moment and this message was not handled. Please send it "
    "again shortly; the conversation so far is kept. If you need a human urgently, submit a ticket: {ticket_url}"
)


def _english(text: str) -> bool:
    from realname.language import EN, detect

    return detect(text or "") == EN


def fallback_reply(text: str = "") -> str:
    """FALLBACK_REPLY, in English when the customer's message is English."""
    return FALLBACK_REPLY_EN if _english(text) else FALLBACK_REPLY


def service_busy_reply(text: str = "") -> str:
    from realname.catalog import ticket_url  # late: channels load before the knowledge is needed

    return (SERVICE_BUSY_REPLY_EN if _english(text) else SERVICE_BUSY_REPLY).format(ticket_url=ticket_url())
