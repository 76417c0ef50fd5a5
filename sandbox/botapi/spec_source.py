"""Where the spec comes from: the official api.json, or the built-in checks when it is absent."""

from __future__ import annotations

import functools
import json
import logging
import os
from pathlib import Path

from sandbox.botapi.spec import ARRAY_PREFIX, BotApiSpec, JsonDict

logger = logging.getLogger(__name__)

# ../shared/telegram-bot-api/api.json beside the repository (this file is
# <repo>/sandbox/botapi/spec_source.py).
DEFAULT_SPEC_PATH = Path(__file__).resolve().parents[3] / "shared" / "telegram-bot-api" / "api.json"
SPEC_ENV_VAR = "KPIBOT_BOT_API_SPEC"

# A fallback covering the methods the fake implements, in a compact notation: unindented lines
# name a method (lower-case initial) or type, `Type = Sub1 Sub2` lists subtypes, and indented
# lines are `name Type|Other [*] [description]` where `*` means required, `[]X` is "Array of X"
# and the description carries the rules FieldSpec understands. Types not described here are
# accepted as any JSON object.
_BUILTIN_SPEC = """
getMe
getUpdates
  offset Integer
  limit Integer
  timeout Integer
  allowed_updates []String
setWebhook
  url String *
  certificate InputFile
  ip_address String
  max_connections Integer
  allowed_updates []String
  drop_pending_updates Boolean
  secret_token String 1-256 characters
deleteWebhook
  drop_pending_updates Boolean
getWebhookInfo
sendMessage
  business_connection_id String
  chat_id Integer|String *
  message_thread_id Integer
  direct_messages_topic_id Integer
  text String * 1-4096 characters after entities parsing
  parse_mode String
  entities []MessageEntity
  link_preview_options LinkPreviewOptions
  disable_notification Boolean
  protect_content Boolean
  allow_paid_broadcast Boolean
  message_effect_id String
  suggested_post_parameters SuggestedPostParameters
  reply_parameters ReplyParameters
  reply_markup InlineKeyboardMarkup|ReplyKeyboardMarkup|ReplyKeyboardRemove|ForceReply
editMessageText
  business_connection_id String
  chat_id Integer|String Required if inline_message_id is not specified
  message_id Integer Required if inline_message_id is not specified
  inline_message_id String Required if chat_id and message_id are not specified
  text String 1-4096 characters after entities parsing; required if rich_message isn't specified
  parse_mode String
  entities []MessageEntity
  link_preview_options LinkPreviewOptions
  rich_message InputRichMessage required if text isn't specified
  reply_markup InlineKeyboardMarkup
editMessageReplyMarkup
  business_connection_id String
  chat_id Integer|String Required if inline_message_id is not specified
  message_id Integer Required if inline_message_id is not specified
  inline_message_id String Required if chat_id and message_id are not specified
  reply_markup InlineKeyboardMarkup
deleteMessage
  chat_id Integer|String *
  message_id Integer *
answerCallbackQuery
  callback_query_id String *
  text String 0-200 characters
  show_alert Boolean
  url String
  cache_time Integer
setMyCommands
  commands []BotCommand *
  scope BotCommandScope
  language_code String
getMyCommands
  scope BotCommandScope
  language_code String
deleteMyCommands
  scope BotCommandScope
  language_code String
sendDocument
  business_connection_id String
  chat_id Integer|String *
  message_thread_id Integer
  direct_messages_topic_id Integer
  document InputFile|String *
  thumbnail InputFile|String
  caption String 0-1024 characters after entities parsing
  parse_mode String
  caption_entities []MessageEntity
  disable_content_type_detection Boolean
  disable_notification Boolean
  protect_content Boolean
  allow_paid_broadcast Boolean
  message_effect_id String
  suggested_post_parameters SuggestedPostParameters
  reply_parameters ReplyParameters
  reply_markup InlineKeyboardMarkup|ReplyKeyboardMarkup|ReplyKeyboardRemove|ForceReply
sendPhoto
  business_connection_id String
  chat_id Integer|String *
  message_thread_id Integer
  direct_messages_topic_id Integer
  photo InputFile|String *
  caption String 0-1024 characters after entities parsing
  parse_mode String
  caption_entities []MessageEntity
  show_caption_above_media Boolean
  has_spoiler Boolean
  disable_notification Boolean
  protect_content Boolean
  allow_paid_broadcast Boolean
  message_effect_id String
  suggested_post_parameters SuggestedPostParameters
  reply_parameters ReplyParameters
  reply_markup InlineKeyboardMarkup|ReplyKeyboardMarkup|ReplyKeyboardRemove|ForceReply
sendMediaGroup
  business_connection_id String
  chat_id Integer|String *
  message_thread_id Integer
  direct_messages_topic_id Integer
  media []InputMediaAudio|[]InputMediaDocument|[]InputMediaPhoto|[]InputMediaVideo *
  disable_notification Boolean
  protect_content Boolean
  allow_paid_broadcast Boolean
  message_effect_id String
  reply_parameters ReplyParameters
getFile
  file_id String *
close
logOut
InlineKeyboardMarkup
  inline_keyboard [][]InlineKeyboardButton *
InlineKeyboardButton
  text String *
  icon_custom_emoji_id String
  style String
  url String
  callback_data String 1-64 bytes
  web_app WebAppInfo
  login_url LoginUrl
  switch_inline_query String
  switch_inline_query_current_chat String
  switch_inline_query_chosen_chat SwitchInlineQueryChosenChat
  copy_text CopyTextButton
  callback_game CallbackGame
  pay Boolean
ReplyKeyboardMarkup
  keyboard [][]KeyboardButton *
  is_persistent Boolean
  resize_keyboard Boolean
  one_time_keyboard Boolean
  input_field_placeholder String 1-64 characters
  selective Boolean
KeyboardButton
  text String *
  icon_custom_emoji_id String
  style String
  request_users KeyboardButtonRequestUsers
  request_chat KeyboardButtonRequestChat
  request_managed_bot KeyboardButtonRequestManagedBot
  request_contact Boolean
  request_location Boolean
  request_poll KeyboardButtonPollType
  web_app WebAppInfo
ReplyKeyboardRemove
  remove_keyboard Boolean *
  selective Boolean
ForceReply
  force_reply Boolean *
  input_field_placeholder String 1-64 characters
  selective Boolean
ReplyParameters
  message_id Integer *
  chat_id Integer|String
  allow_sending_without_reply Boolean
  quote String 0-1024 characters after entities parsing
  quote_parse_mode String
  quote_entities []MessageEntity
  quote_position Integer
  checklist_task_id Integer
  poll_option_id String
LinkPreviewOptions
  is_disabled Boolean
  url String
  prefer_small_media Boolean
  prefer_large_media Boolean
  show_above_text Boolean
MessageEntity
  type String *
  offset Integer *
  length Integer *
  url String
  user User
  language String
  custom_emoji_id String
  unix_time Integer
  date_time_format String
BotCommand
  command String * 1-32 characters
  description String * 1-256 characters
BotCommandScope = BotCommandScopeDefault BotCommandScopeAllPrivateChats \
BotCommandScopeAllGroupChats BotCommandScopeAllChatAdministrators BotCommandScopeChat \
BotCommandScopeChatAdministrators BotCommandScopeChatMember
BotCommandScopeDefault
  type String * must be default
BotCommandScopeAllPrivateChats
  type String * must be all_private_chats
BotCommandScopeAllGroupChats
  type String * must be all_group_chats
BotCommandScopeAllChatAdministrators
  type String * must be all_chat_administrators
BotCommandScopeChat
  type String * must be chat
  chat_id Integer|String *
BotCommandScopeChatAdministrators
  type String * must be chat_administrators
  chat_id Integer|String *
BotCommandScopeChatMember
  type String * must be chat_member
  chat_id Integer|String *
  user_id Integer *
"""


def _builtin_spec_json() -> JsonDict:
    """Expand `_BUILTIN_SPEC` into the shape of api.json."""
    methods: JsonDict = {}
    types: JsonDict = {}
    fields: list[JsonDict] = []
    for line in _BUILTIN_SPEC.replace("\\\n", "").strip().splitlines():
        if line.startswith("  "):
            name, type_list, *rest = line.split(maxsplit=2)
            tail = rest[0] if rest else ""
            array_types = [t.replace("[]", ARRAY_PREFIX) for t in type_list.split("|")]
            fields.append(
                {
                    "name": name,
                    "types": array_types,
                    "required": tail.startswith("*"),
                    "description": tail.removeprefix("*").strip(),
                }
            )
        elif " = " in line:
            name, subtypes = line.split(" = ")
            types[name] = {"name": name, "subtypes": subtypes.split()}
        else:
            fields = []
            (methods if line[0].islower() else types)[line] = {"name": line, "fields": fields}
    return {"methods": methods, "types": types}


def resolve_spec_path(spec_path: str | Path | None = None) -> Path:
    """Return the spec file to use: the argument, else $KPIBOT_BOT_API_SPEC, else the default."""
    if spec_path is not None:
        return Path(spec_path)
    from_env = os.environ.get(SPEC_ENV_VAR)
    return Path(from_env) if from_env else DEFAULT_SPEC_PATH


@functools.cache
def load_spec(path: Path) -> BotApiSpec:
    """Parse the spec at `path` once per process, falling back to the built-in spec."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        logger.warning("Official Bot API spec not found at %s; using built-in checks", path)
        return BotApiSpec.from_json(_builtin_spec_json(), source="built-in")
    return BotApiSpec.from_json(data, source="api.json")
