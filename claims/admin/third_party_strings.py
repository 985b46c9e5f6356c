"""Strings of the libraries whose screens editors see, kept in our own catalogue.

(django-taggit's app name, django-tasks' task states (context "Task") and django-tasks-db's
fields, lists and model names come through here too; app names that no catalogue reaches are
set in claims/apps.py, column labels taken from attribute names in claims/admin/libraries.py.)

django-axes (the lockout and its admin lists) and django-reversion (version history and recovery)
ship no Japanese, and django-import-export's Japanese lacks some of what its import and export
pages show. Our catalogue (``locale/``) comes first, so translating these msgids there puts Japanese
on those screens; listing them here with ``gettext_noop`` keeps ``makemessages`` from dropping
them. Nothing imports this module: it exists to be read by ``makemessages``.
"""

from django.utils.translation import gettext_noop, ngettext_lazy, pgettext_lazy

AXES = [
    gettext_noop("Account locked: too many login attempts. Please try again later."),
    gettext_noop("Account locked: too many login attempts. Contact an admin to unlock your account."),
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("Access lock out"),
    gettext_noop("Access Attempt"),
    gettext_noop("Attempt Remaining"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Expires At"),
    gettext_noop("Locked Out"),
    gettext_noop("Not set"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("Attempt Time"),
    gettext_noop("Failed Logins"),
    gettext_noop("Form Data"),
    gettext_noop("GET Data"),
    gettext_noop("HTTP Accept"),
    gettext_noop("IP Address"),
    gettext_noop("Logout Time"),
    gettext_noop("Meta Data"),
    gettext_noop("Path"),
    gettext_noop("POST Data"),
    gettext_noop("User Agent"),
    gettext_noop("Username"),
]

TAGGIT = [gettext_noop("Taggit")]

TASKS = [
    pgettext_lazy("Task", "Ready"),
    pgettext_lazy("Task", "Running"),
    pgettext_lazy("Task", "Failed"),
    pgettext_lazy("Task", "Successful"),
    gettext_noop("Task Result"),
    gettext_noop("Task Results"),
    gettext_noop("args kwargs"),
    gettext_noop("backend name"),
    gettext_noop("enqueued at"),
    gettext_noop("exception class path"),
    gettext_noop("finished at"),
    gettext_noop("priority"),
    gettext_noop("queue name"),
    gettext_noop("return value"),
    gettext_noop("run after"),
    gettext_noop("started at"),
    gettext_noop("task path"),
    gettext_noop("traceback"),
    gettext_noop("worker id"),
]

REVERSION = [
    gettext_noop("Add %(name)s"),
    gettext_noop("Choose a date from the list below to recover a deleted version of an object."),
    gettext_noop("Choose a date from the list below to revert to a previous version of this object."),
    gettext_noop("Comment"),
    gettext_noop("Date/time"),
    gettext_noop("Initial version."),
    gettext_noop("Press the save button below to recover this version of the object."),
    gettext_noop("Press the save button below to revert to this version of the object."),
    gettext_noop("Recover %s"),
    gettext_noop("Recover deleted %(name)s"),
    gettext_noop("Recover deleted %(verbose_name)s"),
    gettext_noop("Reverted to previous version, saved on %(datetime)s"),
    gettext_noop("Revert %(name)s"),
    gettext_noop("Revert %(verbose_name)s"),
    gettext_noop('The %(model)s "%(name)s" was reverted successfully. You may edit it again below.'),
    gettext_noop("There are no deleted objects to recover."),
    gettext_noop("This object doesn't have a change history. It probably wasn't added via this admin site."),
    gettext_noop("User"),
]

IMPORT_EXPORT = [
    gettext_noop(
        "%(exc_name)s encountered while trying to read file. Ensure you have chosen the correct format for the file."
    ),
    gettext_noop("%s through import_export"),
    gettext_noop("Import finished: {} new, {} updated, {} deleted and {} skipped {}."),
    gettext_noop("No valid data to import. Ensure your file has the correct headers or data for import."),
    gettext_noop("Non field specific"),
    gettext_noop("Please correct these errors in your data where possible, then reupload it using the form above."),
    gettext_noop("Resource"),
    gettext_noop("Row"),
    gettext_noop('Select at least 1 field for "%(resource_name)s" to export'),
    gettext_noop("Select all"),
    gettext_noop("Some rows failed to validate"),
    gettext_noop("This exporter will export the following fields: "),
    gettext_noop("Value could not be parsed."),
    ngettext_lazy("Export %(len)s selected item.", "Export %(len)s selected items.", "len"),
]
