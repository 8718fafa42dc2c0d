"""Block Kit validation: the checks behind Slack's `invalid_blocks` answer.

Slack rejects a whole message when one block breaks its schema, and says where in
`response_metadata.messages`, e.g. "[ERROR] must be less than 151 characters
[json-pointer:/blocks/0/text/text]". The module must never produce such a message, so the mock
checks the rules a renderer realistically breaks: limits on counts and lengths, text object
types, unknown block types or properties, duplicate ids. It is deliberately not a full schema:
rarely used elements are accepted after a shallow check.

Lengths are counted in Unicode code points (Python's len on str), as Slack does.
"""

MAX_BLOCKS = 50
MAX_BLOCK_ID = 255
MAX_ACTION_ID = 255
MAX_HEADER_TEXT = 150
MAX_SECTION_TEXT = 3000
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_URL = 3000
MAX_BUTTON_VALUE = 2000
MAX_ALT_TEXT = 2000
MAX_IMAGE_TITLE = 2000
MAX_MARKDOWN_BLOCK = 12000

TEXT_TYPES = ("plain_text", "mrkdwn")
BUTTON_STYLES = ("primary", "danger")

# Properties Slack accepts per block type; anything else is "invalid additional property".
BLOCK_KEYS = {
    "section": {"type", "block_id", "text", "fields", "accessory", "expand"},
    "header": {"type", "block_id", "text"},
    "context": {"type", "block_id", "elements"},
    "actions": {"type", "block_id", "elements"},
    "divider": {"type", "block_id"},
    "image": {"type", "block_id", "image_url", "slack_file", "alt_text", "title"},
    "rich_text": {"type", "block_id", "elements"},
    "markdown": {"type", "block_id", "text"},
    # Accepted with a shallow check only: the module has no reason to send these.
    "video": None,
    "file": None,
    "input": None,
}
TEXT_KEYS = {"plain_text": {"type", "text", "emoji"}, "mrkdwn": {"type", "text", "verbatim"}}
BUTTON_KEYS = {"type", "text", "action_id", "url", "value", "style", "confirm", "accessibility_label"}
IMAGE_ELEMENT_KEYS = {"type", "image_url", "slack_file", "alt_text"}

# Interactive elements allowed in actions blocks and as section accessories (besides image).
INTERACTIVE_TYPES = {
    "button", "checkboxes", "datepicker", "datetimepicker", "overflow", "radio_buttons",
    "static_select", "external_select", "users_select", "conversations_select", "channels_select",
    "multi_static_select", "multi_external_select", "multi_users_select",
    "multi_conversations_select", "multi_channels_select", "timepicker", "workflow_button",
}
RICH_TEXT_CONTAINERS = {"rich_text_section", "rich_text_list", "rich_text_preformatted", "rich_text_quote"}
RICH_TEXT_LEAVES = {"text", "link", "emoji", "user", "channel", "usergroup", "broadcast", "date", "color", "team"}


class _Checker:
    """Walks one message's blocks, collecting every error (Slack reports them all, not just the first)."""

    def __init__(self):
        self.errors = []
        self.block_ids = set()
        self.action_ids = set()

    def fail(self, message, pointer):
        self.errors.append(f"{message} [json-pointer:{pointer}]")

    # -- primitives ---------------------------------------------------------------------------

    def string(self, value, pointer, max_len, required=True):
        """A string property; returns True when usable."""
        if value is None:
            if required:
                self.fail("missing required field", pointer)
            return False
        if not isinstance(value, str):
            self.fail("expected string", pointer)
            return False
        if len(value) > max_len:
            self.fail(f"must be less than {max_len + 1} characters", pointer)
            return False
        return True

    def unknown_keys(self, obj, allowed, pointer):
        for key in sorted(set(obj) - allowed):
            self.fail(f"invalid additional property: {key}", pointer)

    def text_object(self, obj, pointer, max_len, plain_only=False):
        if not isinstance(obj, dict):
            self.fail("expected object", pointer)
            return
        kind = obj.get("type")
        if kind not in TEXT_TYPES:
            self.fail("must be one of plain_text, mrkdwn", pointer + "/type")
            return
        if plain_only and kind != "plain_text":
            self.fail("must be plain_text", pointer + "/type")
        self.unknown_keys(obj, TEXT_KEYS[kind], pointer)
        text = obj.get("text")
        if self.string(text, pointer + "/text", max_len) and len(text) == 0:
            self.fail("must be more than 0 characters", pointer + "/text")

    def ident(self, value, pointer, max_len, seen, what):
        """block_id / action_id: optional, bounded, unique within the message."""
        if value is None:
            return
        if not self.string(value, pointer, max_len):
            return
        if not value:
            self.fail("must be more than 0 characters", pointer)
        elif value in seen:
            self.fail(f"duplicate {what}: {value}", pointer)
        seen.add(value)

    # -- elements -----------------------------------------------------------------------------

    def button(self, el, pointer):
        self.unknown_keys(el, BUTTON_KEYS, pointer)
        self.text_object(el.get("text"), pointer + "/text", MAX_BUTTON_TEXT, plain_only=True)
        self.string(el.get("url"), pointer + "/url", MAX_URL, required=False)
        self.string(el.get("value"), pointer + "/value", MAX_BUTTON_VALUE, required=False)
        style = el.get("style")
        if style is not None and style not in BUTTON_STYLES:
            self.fail("must be one of primary, danger", pointer + "/style")

    def image_element(self, el, pointer):
        self.unknown_keys(el, IMAGE_ELEMENT_KEYS, pointer)
        if el.get("slack_file") is None:
            self.string(el.get("image_url"), pointer + "/image_url", MAX_URL)
        self.string(el.get("alt_text"), pointer + "/alt_text", MAX_ALT_TEXT)

    def interactive(self, el, pointer, allow_image=False):
        if not isinstance(el, dict):
            self.fail("expected object", pointer)
            return
        kind = el.get("type")
        if kind == "image" and allow_image:
            self.image_element(el, pointer)
            return
        if kind not in INTERACTIVE_TYPES:
            self.fail(f"unsupported element type: {kind}", pointer + "/type")
            return
        self.ident(el.get("action_id"), pointer + "/action_id", MAX_ACTION_ID, self.action_ids, "action_id")
        if kind == "button":
            self.button(el, pointer)

    def element_list(self, elements, pointer, max_items):
        """Returns the list when it is a non-empty list within bounds (errors recorded otherwise)."""
        if not isinstance(elements, list):
            self.fail("missing required field" if elements is None else "expected array", pointer)
            return []
        if not elements:
            self.fail("must provide at least 1 items", pointer)
        elif len(elements) > max_items:
            self.fail(f"must provide no more than {max_items} items", pointer)
        return elements

    # -- blocks -------------------------------------------------------------------------------

    def section(self, block, pointer):
        text, fields = block.get("text"), block.get("fields")
        if text is None and fields is None:
            self.fail("must provide either text or fields", pointer)
        if text is not None:
            self.text_object(text, pointer + "/text", MAX_SECTION_TEXT)
        if fields is not None:
            for i, field in enumerate(self.element_list(fields, pointer + "/fields", MAX_SECTION_FIELDS)):
                self.text_object(field, f"{pointer}/fields/{i}", MAX_FIELD_TEXT)
        if block.get("accessory") is not None:
            self.interactive(block["accessory"], pointer + "/accessory", allow_image=True)

    def header(self, block, pointer):
        self.text_object(block.get("text"), pointer + "/text", MAX_HEADER_TEXT, plain_only=True)

    def context(self, block, pointer):
        for i, el in enumerate(self.element_list(block.get("elements"), pointer + "/elements",
                                                 MAX_CONTEXT_ELEMENTS)):
            where = f"{pointer}/elements/{i}"
            if isinstance(el, dict) and el.get("type") == "image":
                self.image_element(el, where)
            else:
                # Context text has no limit of its own in Slack's docs; the section limit is a sane bound.
                self.text_object(el, where, MAX_SECTION_TEXT)

    def actions(self, block, pointer):
        for i, el in enumerate(self.element_list(block.get("elements"), pointer + "/elements",
                                                 MAX_ACTIONS_ELEMENTS)):
            self.interactive(el, f"{pointer}/elements/{i}")

    def image(self, block, pointer):
        if block.get("slack_file") is None:
            self.string(block.get("image_url"), pointer + "/image_url", MAX_URL)
        self.string(block.get("alt_text"), pointer + "/alt_text", MAX_ALT_TEXT)
        if block.get("title") is not None:
            self.text_object(block["title"], pointer + "/title", MAX_IMAGE_TITLE, plain_only=True)

    def rich_text(self, block, pointer):
        containers = block.get("elements")
        if not isinstance(containers, list):
            self.fail("missing required field" if containers is None else "expected array", pointer + "/elements")
            return
        for i, container in enumerate(containers):
            where = f"{pointer}/elements/{i}"
            if not isinstance(container, dict) or container.get("type") not in RICH_TEXT_CONTAINERS:
                self.fail("unsupported rich text element", where)
                continue
            leaves = container.get("elements")
            if not isinstance(leaves, list):
                self.fail("missing required field", where + "/elements")
                continue
            for j, leaf in enumerate(leaves):
                leaf_where = f"{where}/elements/{j}"
                if not isinstance(leaf, dict):
                    self.fail("expected object", leaf_where)
                elif container.get("type") == "rich_text_list":
                    # A list holds rich_text_section items, which hold the leaves.
                    if leaf.get("type") != "rich_text_section":
                        self.fail("must be rich_text_section", leaf_where + "/type")
                elif leaf.get("type") not in RICH_TEXT_LEAVES:
                    self.fail("unsupported rich text element", leaf_where + "/type")
                elif leaf.get("type") == "text":
                    self.string(leaf.get("text"), leaf_where + "/text", MAX_SECTION_TEXT * 4)

    def markdown(self, block, pointer):
        self.string(block.get("text"), pointer + "/text", MAX_MARKDOWN_BLOCK)

    def block(self, block, pointer):
        if not isinstance(block, dict):
            self.fail("expected object", pointer)
            return
        kind = block.get("type")
        if kind not in BLOCK_KEYS:
            self.fail(f"unsupported type: {kind}", pointer + "/type")
            return
        self.ident(block.get("block_id"), pointer + "/block_id", MAX_BLOCK_ID, self.block_ids, "block_id")
        allowed = BLOCK_KEYS[kind]
        if allowed is None:
            return
        self.unknown_keys(block, allowed, pointer)
        check = getattr(self, kind, None)
        if check is not None:
            check(block, pointer)


def validate_blocks(blocks, pointer="/blocks"):
    """Return Slack-style error strings for a decoded `blocks` value; an empty list means valid."""
    checker = _Checker()
    if not isinstance(blocks, list):
        checker.fail("expected array", pointer)
        return checker.errors
    if len(blocks) > MAX_BLOCKS:
        checker.fail(f"must provide no more than {MAX_BLOCKS} items", pointer)
    for i, block in enumerate(blocks):
        checker.block(block, f"{pointer}/{i}")
    return checker.errors
