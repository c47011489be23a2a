from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "linli.imports"
    label = "imports"
    verbose_name = "导入导出"
    # ImportJob is not registered with the audit signals: a job is saved at every phase of its
    # run, and the job row itself is the record of who imported what. The import writes its
    # own audit entries (see services._audit_import).
