#!/usr/bin/env python3
"""Static checks of the Terraform modules with python-hcl2: every permission is as narrow as
docs/clouds/*.md promise, and every variable and output is described and documented in the
module's README. Run: python3 -m unittest discover -s terraform/tests"""
import glob
import os
import re
import unittest

import hcl2

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODULES = os.path.join(ROOT, "modules")


def unquote(value):
    """python-hcl2 8 keeps the quotes of strings and keys; strip them recursively."""
    if isinstance(value, str):
        return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value
    if isinstance(value, list):
        return [unquote(v) for v in value]
    if isinstance(value, dict):
        return {unquote(k): unquote(v) for k, v in value.items() if k != "__is_block__"}
    return value


def read(path):
    with open(path) as handle:
        return handle.read()


def load(module, name):
    path = os.path.join(MODULES, module, name)
    with open(path) as handle:
        return unquote(hcl2.load(handle))


def blocks(document, kind):
    """{(type, name): body} for resource/data blocks."""
    found = {}
    for entry in document.get(kind, []):
        for type_, named in entry.items():
            for name, body in named.items():
                found[(type_, name)] = body
    return found


def module_names():
    return sorted(os.path.basename(p) for p in glob.glob(os.path.join(MODULES, "*")) if os.path.isdir(p))


class EveryModule(unittest.TestCase):
    def test_layout(self):
        for module in module_names():
            for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"):
                self.assertTrue(os.path.isfile(os.path.join(MODULES, module, name)), f"{module}/{name} is missing")

    def test_variables_and_outputs_described_and_documented(self):
        for module in module_names():
            readme = read(os.path.join(MODULES, module, "README.md"))
            for entry in load(module, "variables.tf").get("variable", []):
                for name, body in entry.items():
                    self.assertTrue(body.get("description"), f"{module}: variable {name} has no description")
                    self.assertRegex(readme, rf"\| `{re.escape(name)}` \|", f"{module}: variable {name} is not in the README's inputs table")
            for entry in load(module, "outputs.tf").get("output", []):
                for name, body in entry.items():
                    self.assertTrue(body.get("description"), f"{module}: output {name} has no description")
                    self.assertRegex(readme, rf"\| `{re.escape(name)}` \|", f"{module}: output {name} is not in the README's outputs table")

    def test_readme_has_a_copy_paste_example(self):
        for module in module_names():
            readme = read(os.path.join(MODULES, module, "README.md"))
            self.assertIn(f'source = "', readme, f"{module}: README has no module example")
            self.assertIn("```hcl", readme)

    def test_syntax_terraform_1_3_accepts(self):
        # The modules require 1.3 (optional object attributes); nothing newer may creep in, and
        # every module and example says so.
        for path in glob.glob(os.path.join(ROOT, "**", "*.tf"), recursive=True):
            text = read(path)
            for newer in ("startswith(", "endswith(", "import {", "check \"", "removed {"):
                self.assertNotIn(newer, text, f"{path} uses {newer}")
            if "required_version" in text:
                self.assertIn('required_version = ">= 1.3.0"', text, path)


class AwsEcs(unittest.TestCase):
    def setUp(self):
        self.main = load("aws-ecs", "main.tf")
        self.data = blocks(self.main, "data")
        self.resources = blocks(self.main, "resource")

    def statements(self, name):
        return self.data[("aws_iam_policy_document", name)]["statement"]

    def test_put_metric_data_pinned_to_the_namespace(self):
        [statement] = self.statements("publish")
        self.assertEqual(statement["effect"], "Allow")
        self.assertEqual(statement["actions"], ["cloudwatch:PutMetricData"])
        # PutMetricData has no resource ARNs; the condition is the narrowing.
        self.assertEqual(statement["resources"], ["*"])
        [condition] = statement["condition"]
        self.assertEqual((condition["test"], condition["variable"], condition["values"]), ("StringEquals", "cloudwatch:namespace", ["${var.namespace}"]))

    def test_config_read_only_from_its_parameter(self):
        statements = self.statements("read_config")
        self.assertEqual(statements[0]["actions"], ["ssm:GetParameters"])
        self.assertEqual(statements[0]["resources"], ["${aws_ssm_parameter.config.arn}"])
        dynamic = self.data[("aws_iam_policy_document", "read_config")]["dynamic"][0]["statement"]["content"][0]
        self.assertEqual(dynamic["actions"], ["kms:Decrypt"])
        self.assertEqual(dynamic["resources"], ["${statement.value}"])

    def test_no_wildcard_actions_and_only_two_policies(self):
        text = read(os.path.join(MODULES, "aws-ecs", "main.tf"))
        self.assertNotRegex(text, r'"[a-z0-9]+:\*"')
        policies = [key for key in self.resources if key[0] in ("aws_iam_role_policy", "aws_iam_policy", "aws_iam_role_policy_attachment")]
        self.assertEqual(sorted(policies), [("aws_iam_role_policy", "publish"), ("aws_iam_role_policy", "read_config")])
        self.assertEqual(self.resources[("aws_iam_role_policy", "publish")]["role"], "${var.task_role_name}")
        self.assertEqual(self.resources[("aws_iam_role_policy", "read_config")]["role"], "${var.execution_role_name}")

    def test_sidecar_reserves_memory_without_a_hard_limit(self):
        [local_values] = self.main["locals"]
        definition = local_values["container_definition"]
        self.assertEqual(definition["memoryReservation"], "${var.memory_reservation}")
        self.assertNotIn("memory", definition)
        variables = {name: body for entry in load("aws-ecs", "variables.tf")["variable"] for name, body in entry.items()}
        self.assertEqual(variables["memory_reservation"]["default"], 32)

    def test_config_is_a_secure_string(self):
        self.assertEqual(self.resources[("aws_ssm_parameter", "config")]["type"], "SecureString")

    def test_target_tracking_on_the_service(self):
        target = self.resources[("aws_appautoscaling_target", "service")]
        self.assertEqual(target["scalable_dimension"], "ecs:service:DesiredCount")
        policy = self.resources[("aws_appautoscaling_policy", "track")]
        self.assertEqual(policy["policy_type"], "TargetTrackingScaling")
        configuration = policy["target_tracking_scaling_policy_configuration"][0]
        self.assertEqual(configuration["scale_in_cooldown"], "${var.scale_in_cooldown}")
        text = read(os.path.join(MODULES, "aws-ecs", "main.tf"))
        self.assertIn("required / MAX([running, 1])", text)


class AzureContainerApps(unittest.TestCase):
    def test_roles_scoped_to_the_scaled_app_only(self):
        resources = blocks(load("azure-container-apps", "main.tf"), "resource")
        assignments = {key: body for key, body in resources.items() if key[0] == "azurerm_role_assignment"}
        roles = sorted(body["role_definition_name"] for body in assignments.values())
        self.assertEqual(roles, ["Monitoring Metrics Publisher", "Monitoring Reader"])
        for body in assignments.values():
            self.assertEqual(body["scope"], "${var.scaled_app_id}")
        publisher = assignments[("azurerm_role_assignment", "publish")]
        self.assertEqual(publisher["principal_id"], "${azurerm_user_assigned_identity.job.principal_id}")
        self.assertNotIn("role_definition_id", str(assignments))

    def test_job_runs_once_on_a_schedule_with_its_identity(self):
        resources = blocks(load("azure-container-apps", "main.tf"), "resource")
        job = resources[("azurerm_container_app_job", "scalebridge")]
        self.assertEqual(job["identity"][0]["type"], "UserAssigned")
        self.assertIn("cron_expression", job["schedule_trigger_config"][0])
        container = job["template"][0]["container"][0]
        self.assertEqual(container["args"][:3], ["once", "--config", "env:SCALEBRIDGE_CONFIG"])
        env = {e["name"]: e for e in container["env"]}
        self.assertEqual(env["SCALEBRIDGE_CONFIG"]["secret_name"], "scalebridge-config")


class GcpCloudRun(unittest.TestCase):
    def setUp(self):
        main = load("gcp-cloud-run", "main.tf")
        self.resources = blocks(main, "resource")
        self.locals = {k: v for entry in main.get("locals", []) for k, v in entry.items()}

    def test_scaler_role_has_only_get_and_update(self):
        permissions = self.locals["scaler_permissions"]
        self.assertIn('["run.workerPools.get", "run.workerPools.update"]', permissions)
        self.assertIn('["run.services.get", "run.services.update"]', permissions)
        self.assertEqual(self.resources[("google_project_iam_custom_role", "scaler")]["permissions"], "${local.scaler_permissions}")

    def test_scaler_role_bound_on_the_target_only(self):
        for kind in ("google_cloud_run_v2_worker_pool_iam_member", "google_cloud_run_v2_service_iam_member"):
            binding = self.resources[(kind, "scaler")]
            self.assertEqual(binding["name"], "${var.target_name}")
            self.assertEqual(binding["role"], "${google_project_iam_custom_role.scaler.id}")

    def test_project_level_grant_is_metric_writer_only(self):
        project = [body for key, body in self.resources.items() if key[0] in ("google_project_iam_member", "google_project_iam_binding", "google_project_iam_policy")]
        self.assertEqual([body["role"] for body in project], ["roles/monitoring.metricWriter"])

    def test_secret_and_invoker_scoped_to_their_resource(self):
        secret = self.resources[("google_secret_manager_secret_iam_member", "config")]
        self.assertEqual((secret["role"], secret["secret_id"]), ("roles/secretmanager.secretAccessor", "${google_secret_manager_secret.config.secret_id}"))
        invoker = self.resources[("google_cloud_run_v2_job_iam_member", "invoker")]
        self.assertEqual((invoker["role"], invoker["name"]), ("roles/run.invoker", "${google_cloud_run_v2_job.scalebridge[0].name}"))
        self.assertNotIn("roles/owner", str(self.resources))
        self.assertNotIn("roles/editor", str(self.resources))


if __name__ == "__main__":
    unittest.main()
