"""plan_risk"""
