"""Admin: the outbox (what was sent, what is failing, retry) and which channels each event
uses. Texts in the outbox are shown masked: an administrator is not the owner of the
personal numbers an applicant's own message may carry."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db import transaction

from onething.kernel.codes import mask_personal_numbers_in_text
from onething.notifications import delivery, service
from onething.notifications.models import EventChannel, OutboxMessage
from onething.notifications.registry import registered
from onething.notifications.routing import enabled_backends


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "channel",
        "event",
        "recipient",
        "masked_title",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
    )
    list_filter = ("status", "channel", "event")
    list_select_related = ("recipient",)
    search_fields = ("=id", "event", "recipient__username")
    fields = (
        "channel",
        "event",
        "recipient",
        "masked_title",
        "masked_body",
        "link",
        "status",
        "attempts",
        "next_attempt_at",
        "claimed_at",
        "masked_error",
        "created_at",
        "sent_at",
    )
    readonly_fields = fields
    actions = ["retry_failed"]
    show_full_result_count = False  # no COUNT(*) of a large table on every page

    @admin.display(description="标题")
    def masked_title(self, obj: OutboxMessage) -> str:
        return mask_personal_numbers_in_text(obj.title)

    @admin.display(description="内容")
    def masked_body(self, obj: OutboxMessage) -> str:
        return mask_personal_numbers_in_text(obj.body)

    @admin.display(description="最近错误")
    def masked_error(self, obj: OutboxMessage) -> str:
        return mask_personal_numbers_in_text(obj.last_error)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="重新发送所选的发送失败消息", permissions=["change"])
    def retry_failed(self, request, queryset):
        ids = list(queryset.filter(status=OutboxMessage.Status.FAILED).values_list("pk", flat=True))
        count = delivery.retry(ids)
        if count:
            transaction.on_commit(service.kick)
            self.message_user(request, f"已将 {count} 条发送失败的消息重新排队发送。", messages.SUCCESS)
        else:
            self.message_user(request, "所选消息中没有发送失败的消息。", messages.WARNING)


def _channel_choices() -> list[tuple[str, str]]:
    enabled = set(enabled_backends())
    return [
        (name, f"{cls.label or name}（{name}）" + ("" if name in enabled else "：本部署未启用"))
        for name, cls in sorted(registered().items())
        if not getattr(cls, "in_transaction", False)
    ]


class EventChannelForm(forms.ModelForm):
    channels = forms.MultipleChoiceField(
        label="其他渠道",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="站内消息总会发送；这里勾选的渠道只在本部署启用（ONETHING_NOTIFY）时使用。",
    )

    class Meta:
        model = EventChannel
        fields = ("event", "label", "channels")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channels"].choices = _channel_choices()


@admin.register(EventChannel)
class EventChannelAdmin(admin.ModelAdmin):
    form = EventChannelForm
    list_display = ("event", "label", "channel_list", "updated_at")
    search_fields = ("event", "label")

    @admin.display(description="渠道")
    def channel_list(self, obj: EventChannel) -> str:
        labels = {name: cls.label or name for name, cls in registered().items()}
        return "站内消息" + "".join(f"、{labels.get(c, c)}" for c in obj.channels or ())
