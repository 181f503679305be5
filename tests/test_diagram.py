"""The Mermaid architecture picture drawn from templates."""

from __future__ import annotations

import json

import pytest

from secure_sagemaker.diagram import DiagramError, markdown, mermaid

TEMPLATE = {
    "Resources": {
        "DataKeyAAAAAAAA": {"Type": "AWS::KMS::Key", "Properties": {}},
        "DataBucketBBBBBBBB": {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {
                            "ServerSideEncryptionByDefault": {
                                "KMSMasterKeyID": {"Fn::GetAtt": ["DataKeyAAAAAAAA", "Arn"]}
                            }
                        }
                    ]
                }
            },
        },
        "ApiEndpoint1": {
            "Type": "AWS::EC2::VPCEndpoint",
            "Properties": {
                "VpcEndpointType": "Interface",
                "ServiceName": {"Fn::Join": ["", ["com.amazonaws.", {"Ref": "AWS::Region"}, ".sagemaker.api"]]},
            },
        },
        "StudioEndpoint1": {
            "Type": "AWS::EC2::VPCEndpoint",
            "Properties": {
                "VpcEndpointType": "Interface",
                "ServiceName": {"Fn::Join": ["", ["aws.sagemaker.", {"Ref": "AWS::Region"}, ".studio"]]},
            },
        },
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"KmsMasterKeyId": {"Fn::Sub": "${DataKeyAAAAAAAA.Arn}"}}},
        "Unrelated": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"AlarmActions": [{"Ref": "Topic"}]}},
    }
}


def test_nodes_are_grouped_and_named_without_hashes():
    text = mermaid(TEMPLATE)
    assert text.startswith("flowchart LR\n")
    assert 'subgraph keys["Customer-managed keys"]' in text
    assert 'DataKey["KMS key<br/>DataKey"]' in text
    assert 'DataBucket["bucket<br/>DataBucket"]' in text
    assert "Unrelated" not in text


def test_edges_follow_references_and_name_the_property():
    text = mermaid(TEMPLATE)
    assert "  DataBucket -->|BucketEncryption| DataKey" in text
    assert "  Topic -->|KmsMasterKeyId| DataKey" in text


def test_interface_endpoints_are_one_node_listing_services():
    assert 'InterfaceEndpoints["2 interface endpoints<br/>sagemaker.api, studio"]' in mermaid(TEMPLATE)


def test_markdown_of_a_folder_and_its_errors(tmp_path):
    (tmp_path / "S.template.json").write_text(json.dumps(TEMPLATE))
    text = markdown(tmp_path)
    assert "## S\n\n```mermaid\nflowchart LR" in text
    with pytest.raises(DiagramError, match="no such file"):
        markdown(tmp_path / "missing")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DiagramError, match="no \\*.template.json"):
        markdown(empty)
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(DiagramError, match="cannot read JSON"):
        markdown(tmp_path / "bad.json")
    with pytest.raises(DiagramError, match="Resources"):
        mermaid({"Resources": []})


def test_cli_prints_the_diagram_and_fails_cleanly(tmp_path, capsys):
    from secure_sagemaker.cli import main

    (tmp_path / "S.template.json").write_text(json.dumps(TEMPLATE))
    assert main(["diagram", str(tmp_path)]) == 0
    assert "```mermaid" in capsys.readouterr().out
    assert main(["diagram", str(tmp_path / "missing")]) == 2
    assert "no such file" in capsys.readouterr().err
