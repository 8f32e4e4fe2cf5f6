"""The nbgrader integration: feedback hygiene, releasing, and driving a course."""
